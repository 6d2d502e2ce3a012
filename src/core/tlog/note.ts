/**
 * C2SP signed notes with Ed25519 keys (signature type 0x01), compatible with
 * golang.org/x/mod/sumdb/note: key IDs, verifier and signer key strings, signing and opening.
 * Opening follows the spec's rules: unknown keys are ignored, a known key's bad signature
 * rejects the note, and a note without one verified signature is rejected.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromBase64, textDecoder, textEncoder, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';

export const SIG_ED25519 = 0x01;
export const MAX_NOTE_SIGNATURES = 100;

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array;
}

export interface Ed25519NoteKey extends NoteSigner {
  readonly publicKey: Uint8Array;
  readonly verifier: NoteVerifier;
  /** `<name>+<hex key ID>+<base64(0x01 ‖ public key)>` */
  readonly verifierKey: string;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** the signature bytes after the 4-byte key ID */
  signature: Uint8Array;
}

export interface OpenedNote {
  text: string;
  verified: NoteSignature[];
  unverified: NoteSignature[];
}

/** Key names: non-empty, no Unicode space, no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085]/u.test(name) && wellFormed(name);
}

function wellFormed(s: string): boolean {
  try {
    return textDecoder.decode(textEncoder.encode(s)) === s;
  } catch {
    return false;
  }
}

/** key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian. */
export function keyIdOf(name: string, type: number, publicKey: Uint8Array): number {
  const h = sha256(concat(textEncoder.encode(name), new Uint8Array([0x0a, type]), publicKey));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (!isKeyName(name)) throw new TlogError('MALFORMED', 'invalid key name');
  if (publicKey.length !== 32) throw new TlogError('MALFORMED', 'Ed25519 public key must be 32 bytes');
  const pub = publicKey.slice();
  return {
    name,
    keyId: keyIdOf(name, SIG_ED25519, pub),
    verify: (message, signature) => {
      if (signature.length !== 64) return false;
      try {
        return ed25519.verify(signature, message, pub, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}

export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const v = ed25519Verifier(name, publicKey);
  return `${name}+${hex8(v.keyId)}+${toBase64(concat(new Uint8Array([SIG_ED25519]), publicKey))}`;
}

/** Parse `<name>+<hex key ID>+<base64 key>` (config or client input): strict, the ID must match. */
export function parseVerifierKey(vkey: string): NoteVerifier & { publicKey: Uint8Array } {
  // base64 may itself contain '+': the key is everything after the second one
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey);
  if (!m) throw new TlogError('MALFORMED', 'verifier key must be <name>+<hex id>+<base64 key>');
  const [, name, id, b64] = m as unknown as [string, string, string, string];
  const key = fromBase64(b64);
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(id) || !key) throw new TlogError('MALFORMED', 'malformed verifier key');
  if (key[0] !== SIG_ED25519 || key.length !== 33) throw new TlogError('MALFORMED', 'verifier key is not an Ed25519 key');
  const v = ed25519Verifier(name, key.subarray(1));
  if (hex8(v.keyId) !== id) throw new TlogError('MALFORMED', 'verifier key ID does not match the key');
  return { ...v, publicKey: key.slice(1) };
}

/**
 * Ed25519 signing from a seed. Ed25519 signatures are deterministic (RFC 8032), so any correct
 * implementation gives the same bytes: the daemon passes node's native one (noble's takes
 * milliseconds per checkpoint on the event loop); the default is noble's (browsers, clients).
 */
export type Ed25519Signing = (seed: Uint8Array) => (message: Uint8Array) => Uint8Array;

const nobleSigning: Ed25519Signing = (seed) => (message) => ed25519.sign(message, seed);

/** An Ed25519 note key from its 32-byte seed (the secret). */
export function ed25519NoteKey(name: string, seed: Uint8Array, signing: Ed25519Signing = nobleSigning): Ed25519NoteKey {
  if (seed.length !== 32) throw new TlogError('MALFORMED', 'Ed25519 seed must be 32 bytes');
  const secret = seed.slice();
  const publicKey = ed25519.getPublicKey(secret);
  const verifier = ed25519Verifier(name, publicKey);
  return {
    name,
    keyId: verifier.keyId,
    publicKey,
    verifier,
    verifierKey: formatVerifierKey(name, publicKey),
    sign: signing(secret),
  };
}

export function generateSeed(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

/** `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>` — the sumdb note signer key format. */
export function formatSignerKey(name: string, seed: Uint8Array): string {
  const k = ed25519NoteKey(name, seed);
  return `PRIVATE+KEY+${name}+${hex8(k.keyId)}+${toBase64(concat(new Uint8Array([SIG_ED25519]), seed))}`;
}

export function parseSignerKey(skey: string, signing?: Ed25519Signing): Ed25519NoteKey {
  const m = /^PRIVATE\+KEY\+([^+]*)\+([^+]*)\+(.*)$/s.exec(skey.trim());
  if (!m) throw new TlogError('MALFORMED', 'signer key must be PRIVATE+KEY+<name>+<hex id>+<base64 key>');
  const [, name, id, b64] = m as unknown as [string, string, string, string];
  const key = fromBase64(b64);
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(id) || !key || key.length !== 33 || key[0] !== SIG_ED25519) {
    throw new TlogError('MALFORMED', 'malformed signer key');
  }
  const k = ed25519NoteKey(name, key.subarray(1), signing);
  if (hex8(k.keyId) !== id) throw new TlogError('MALFORMED', 'signer key ID does not match the key');
  return k;
}

/** Note text: non-empty, ends in a newline, valid UTF-8, no control characters but newline. */
export function isNoteText(text: string): boolean {
  return text.length > 0 && text.endsWith('\n') && !/[\u0000-\u0009\u000b-\u001f]/.test(text) && wellFormed(text);
}

function sigLine(name: string, keyId: number, sig: Uint8Array): string {
  const id = new Uint8Array([keyId >>> 24, (keyId >>> 16) & 0xff, (keyId >>> 8) & 0xff, keyId & 0xff]);
  return `— ${name} ${toBase64(concat(id, sig))}\n`;
}

/** Sign `text` with each signer; `extra` lines (already formatted signatures, e.g. cosignatures) follow. */
export function signNote(text: string, signers: readonly NoteSigner[], extra: readonly string[] = []): string {
  if (!isNoteText(text)) throw new TlogError('MALFORMED', 'malformed note text');
  const msg = textEncoder.encode(text);
  return `${text}\n${signers.map((s) => sigLine(s.name, s.keyId, s.sign(msg))).join('')}${extra.join('')}`;
}

/** Split a signed note into text and signatures without verifying anything. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (!wellFormed(note) || /[\u0000-\u0009\u000b-\u001f]/.test(note) || !note.endsWith('\n')) throw new TlogError('MALFORMED', 'malformed note');
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0) throw new TlogError('MALFORMED', 'note has no signature block');
  const text = note.slice(0, cut + 1);
  const lines = note.slice(cut + 2, -1).split('\n');
  if (!isNoteText(text) || lines.length > MAX_NOTE_SIGNATURES) throw new TlogError('MALFORMED', 'malformed note');
  const signatures = lines.map((line): NoteSignature => {
    const m = /^— (\S+) (\S+)$/u.exec(line);
    const raw = m ? fromBase64(m[2]!) : null;
    if (!m || !isKeyName(m[1]!) || !raw || raw.length < 5) throw new TlogError('MALFORMED', 'malformed note signature line');
    return { name: m[1]!, keyId: ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0, signature: raw.slice(4) };
  });
  return { text, signatures };
}

/** Verify a note against known keys (matched by name AND key ID). */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const msg = textEncoder.encode(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of signatures) {
    const known = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (known.length > 1) throw new TlogError('MALFORMED', `ambiguous key ${sig.name}+${hex8(sig.keyId)}`);
    if (known.length === 0) {
      unverified.push(sig);
      continue;
    }
    if (!known[0]!.verify(msg, sig.signature)) throw new TlogError('BAD_SIGNATURE', `invalid signature for key ${sig.name}+${hex8(sig.keyId)}`);
    if (!verified.some((s) => s.name === sig.name && s.keyId === sig.keyId)) verified.push(sig);
  }
  if (verified.length === 0) throw new TlogError('UNKNOWN_KEY', 'note has no verifiable signatures');
  return { text, verified, unverified };
}
