/**
 * C2SP tlog-cosignature (timestamped Ed25519, signature type 0x04) and the tlog-witness
 * add-checkpoint request body. Pure: the witness key is passed in, the time is a parameter.
 * A cosignature signs `cosignature/v1\ntime <t>\n` followed by the checkpoint's note body;
 * its signature bytes are key ID (4) ‖ big-endian u64 timestamp ‖ Ed25519 signature (64).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concat, fromBase64, textEncoder, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';
import { HASH_SIZE, type Hash } from './merkle.js';
import { isKeyName, keyIdOf, parseNote, type Ed25519NoteKey } from './note.js';

export const SIG_COSIGNATURE_V1 = 0x04;
/** tlog-witness: a client sends at most 63 consistency proof lines */
export const MAX_WITNESS_PROOF = 63;

export interface CosignerVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  return textEncoder.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

/** The cosigner identity of a note key (same Ed25519 key, key ID over type 0x04). */
export function cosignerOf(key: Pick<Ed25519NoteKey, 'name' | 'publicKey'>): CosignerVerifier {
  return { name: key.name, keyId: keyIdOf(key.name, SIG_COSIGNATURE_V1, key.publicKey), publicKey: key.publicKey };
}

/** `<name>+<hex key ID>+<base64(0x04 ‖ pubkey)>`: the vkey a log or client configures for this witness. */
export function formatCosignerKey(c: CosignerVerifier): string {
  return `${c.name}+${hex8(c.keyId)}+${toBase64(concat(new Uint8Array([SIG_COSIGNATURE_V1]), c.publicKey))}`;
}

export function parseCosignerKey(vkey: string): CosignerVerifier {
  const m = /^([^+]*)\+([0-9a-f]{8})\+(.*)$/s.exec(vkey.trim());
  const key = m ? fromBase64(m[3]!) : null;
  if (!m || !isKeyName(m[1]!) || !key || key.length !== 33 || key[0] !== SIG_COSIGNATURE_V1) {
    throw new TlogError('MALFORMED', 'cosigner key must be <name>+<hex id>+<base64(0x04 ‖ Ed25519 key)>');
  }
  const c = { name: m[1]!, keyId: keyIdOf(m[1]!, SIG_COSIGNATURE_V1, key.subarray(1)), publicKey: key.slice(1) };
  if (hex8(c.keyId) !== m[2]) throw new TlogError('MALFORMED', 'cosigner key ID does not match the key');
  return c;
}

/** One signature line (`— <name> <base64>\n`) cosigning `checkpointText` at `timestamp` (unix seconds). */
export function cosign(key: Ed25519NoteKey, checkpointText: string, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TlogError('MALFORMED', 'bad cosignature timestamp');
  const c = cosignerOf(key);
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, c.keyId);
  view.setBigUint64(4, BigInt(timestamp));
  const sig = key.sign(cosignatureMessage(checkpointText, timestamp));
  return `— ${c.name} ${toBase64(concat(head, sig))}\n`;
}

/**
 * The timestamps of valid cosignatures by `cosigner` in a signed note (or in bare signature
 * lines appended to `checkpointText`); lines of other keys are ignored, a bad one of this key throws.
 */
export function verifyCosignatures(note: string, cosigner: CosignerVerifier): { text: string; timestamps: number[] } {
  const { text, signatures } = parseNote(note);
  const timestamps: number[] = [];
  for (const s of signatures) {
    if (s.name !== cosigner.name || s.keyId !== cosigner.keyId) continue;
    if (s.signature.length !== 72) throw new TlogError('BAD_SIGNATURE', `malformed cosignature by ${cosigner.name}`);
    const ts = new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0);
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new TlogError('BAD_SIGNATURE', 'cosignature timestamp out of range');
    let ok = false;
    try {
      ok = ed25519.verify(s.signature.subarray(8), cosignatureMessage(text, Number(ts)), cosigner.publicKey, { zip215: false });
    } catch {
      ok = false;
    }
    if (!ok) throw new TlogError('BAD_SIGNATURE', `invalid cosignature by ${cosigner.name}`);
    timestamps.push(Number(ts));
  }
  return { text, timestamps };
}

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Hash[];
  /** the signed checkpoint note, verbatim */
  checkpoint: string;
}

export function formatAddCheckpoint(r: AddCheckpointRequest): string {
  return `old ${r.oldSize}\n${r.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${r.checkpoint}`;
}

/** Parse an add-checkpoint body (attacker-controlled): strict old line, ≤ 63 proof hashes. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const lines = body.split('\n');
  const old = /^old (0|[1-9][0-9]{0,15})$/.exec(lines[0] ?? '');
  if (!old || !Number.isSafeInteger(Number(old[1]))) throw new TlogError('MALFORMED', 'the body must start with an "old <size>" line');
  const proof: Hash[] = [];
  let i = 1;
  while (i < lines.length && lines[i] !== '') {
    const h = fromBase64(lines[i]!);
    if (!h || h.length !== HASH_SIZE) throw new TlogError('MALFORMED', 'bad consistency proof line');
    proof.push(h);
    if (proof.length > MAX_WITNESS_PROOF) throw new TlogError('MALFORMED', 'too many consistency proof lines');
    i++;
  }
  if (i >= lines.length) throw new TlogError('MALFORMED', 'no checkpoint after the proof');
  return { oldSize: Number(old[1]), proof, checkpoint: lines.slice(i + 1).join('\n') };
}
