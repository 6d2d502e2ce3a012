/**
 * C2SP tlog-checkpoint bodies and the C2SP tlog-proof text format. A checkpoint is the note
 * text `<origin>\n<size>\n<base64 root>\n[extension lines]`; a tlog-proof bundles an entry's
 * index, its inclusion path and a signed checkpoint, verifiable offline with the log's key.
 */
import { fromBase64, toBase64 } from './bytes.js';
import { TlogError } from './errors.js';
import { HASH_SIZE, leafHash, verifyInclusion, type Hash } from './merkle.js';
import { isNoteText, openNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from './note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  extensions: string[];
}

export function checkpointText(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${toBase64(c.root)}\n${c.extensions.map((e) => `${e}\n`).join('')}`;
}

/** Parse a checkpoint body (the verified note text). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!isNoteText(text)) throw new TlogError('MALFORMED', 'malformed checkpoint');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeStr, rootStr, ...extensions] = lines;
  const root = rootStr === undefined ? null : fromBase64(rootStr);
  if (!origin || sizeStr === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(sizeStr) || !root || root.length !== HASH_SIZE) {
    throw new TlogError('MALFORMED', 'checkpoint must be origin, size and base64 root lines');
  }
  const size = Number(sizeStr);
  if (!Number.isSafeInteger(size) || extensions.some((e) => e === '')) throw new TlogError('MALFORMED', 'malformed checkpoint');
  return { origin, size, root, extensions };
}

export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(checkpointText(c), signers);
}

/** Verify a signed checkpoint: a known key signed it and its origin is the expected one. */
export function openCheckpoint(note: string, origin: string, verifiers: readonly NoteVerifier[]): { checkpoint: Checkpoint; note: OpenedNote } {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== origin) throw new TlogError('WRONG_ORIGIN', `checkpoint origin is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(origin)}`);
  return { checkpoint, note: opened };
}

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  index: number;
  proof: Hash[];
  /** the signed checkpoint note, verbatim */
  checkpoint: string;
  extra?: Uint8Array;
}

export function formatTlogProof(p: TlogProof): string {
  const extra = p.extra ? `extra ${toBase64(p.extra)}\n` : '';
  return `${TLOG_PROOF_HEADER}\n${extra}index ${p.index}\n${p.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const lines = text.split('\n');
  let i = 0;
  if (lines[i++] !== TLOG_PROOF_HEADER) throw new TlogError('MALFORMED', 'not a c2sp.org/tlog-proof@v1 proof');
  let extra: Uint8Array | undefined;
  if (lines[i]?.startsWith('extra ')) {
    extra = fromBase64(lines[i]!.slice(6)) ?? undefined;
    if (!extra) throw new TlogError('MALFORMED', 'bad extra line');
    i++;
  }
  const idx = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[i++] ?? '');
  if (!idx || !Number.isSafeInteger(Number(idx[1]))) throw new TlogError('MALFORMED', 'bad index line');
  const proof: Hash[] = [];
  while (i < lines.length && lines[i] !== '') {
    const h = fromBase64(lines[i++]!);
    if (!h || h.length !== HASH_SIZE) throw new TlogError('MALFORMED', 'bad proof hash line');
    proof.push(h);
  }
  if (i >= lines.length) throw new TlogError('MALFORMED', 'proof has no checkpoint');
  const checkpoint = lines.slice(i + 1).join('\n');
  return { index: Number(idx[1]), proof, checkpoint, ...(extra ? { extra } : {}) };
}

/** Verify a tlog-proof for an entry (its bytes) against the log's origin and key(s). */
export function verifyTlogProof(text: string, entry: Uint8Array, origin: string, verifiers: readonly NoteVerifier[]): { index: number; checkpoint: Checkpoint } {
  const p = parseTlogProof(text);
  const { checkpoint } = openCheckpoint(p.checkpoint, origin, verifiers);
  if (!verifyInclusion(p.index, checkpoint.size, leafHash(entry), p.proof, checkpoint.root)) throw new TlogError('BAD_PROOF', 'inclusion proof does not lead to the checkpoint root');
  return { index: p.index, checkpoint };
}
