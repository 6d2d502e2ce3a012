/**
 * The witness of one upstream log: keeps the latest checkpoint it cosigned, cosigns only
 * checkpoints consistent with it (C2SP tlog-witness / tlog-cosignature), and turns signed
 * evidence of an inconsistent log into a durable alarm. Everything here is synchronous, and each
 * add runs in one transaction holding the origin's lock (WitnessState.exclusive), so "check the old
 * size, then persist the new checkpoint" is atomic, also among daemons on one PostgreSQL database.
 * Checkpoints and proofs come from the upstream or any add-checkpoint client: attacker-controlled.
 */
import {
  cosign, cosignerOf, equalBytes, formatCosignerKey, openCheckpoint, parseAddCheckpoint, parseCheckpoint, parseNote, TlogError, toBase64, verifyConsistency,
  type Checkpoint, type Ed25519NoteKey, type Hash, type NoteVerifier,
} from '../core/tlog/index.js';
import type { AlarmKind, WitnessState } from './witness-state.js';

export type AddOutcome =
  | { status: 200; body: string }
  /** 409: the old size is not ours (body: our size) or a same-size checkpoint with another root */
  | { status: 409; size: number | null; message: string }
  | { status: 400 | 403 | 404 | 422 | 503; code: 'BAD_REQUEST' | 'SIGNATURE_MISMATCH' | 'NOT_FOUND' | 'UNAVAILABLE'; message: string };

export interface WitnessOptions {
  state: WitnessState;
  /** the upstream log's origin and verifier (from mirror.upstreamVerifierKey) */
  origin: string;
  verifier: NoteVerifier;
  key: Ed25519NoteKey;
  /** unix seconds */
  now?: () => number;
  onAlarm?: (kind: AlarmKind, message: string) => void;
}

export class Witness {
  readonly cosignerKey: string;
  private readonly now: () => number;

  constructor(private readonly o: WitnessOptions) {
    this.cosignerKey = formatCosignerKey(cosignerOf(o.key));
    this.now = o.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get origin(): string {
    return this.o.origin;
  }

  latest() {
    return this.o.state.cosigned(this.o.origin);
  }

  /** The latest cosigned checkpoint with our cosignature line appended (a valid signed note). */
  cosignedNote(): string | null {
    const c = this.latest();
    return c ? `${c.note}${c.cosignature}` : null;
  }

  /** Verify an upstream checkpoint's signature and origin; throws TlogError. */
  open(note: string): Checkpoint {
    return openCheckpoint(note, this.o.origin, [this.o.verifier]).checkpoint;
  }

  alarm(kind: AlarmKind, message: string, noteA: string | null, noteB: string): void {
    if (this.o.state.active()) return;
    this.o.state.raise(this.o.origin, kind, message, noteA, noteB);
    this.o.onAlarm?.(kind, message);
  }

  /**
   * Cosign `note` if it is consistent with our latest cosigned checkpoint (proof from oldSize).
   * A signed checkpoint of our size with another root is a fork: evidence, alarm. A failing
   * proof is not evidence by itself (anyone can send a wrong proof with a real checkpoint).
   */
  add(oldSize: number, proof: readonly Hash[], note: string): AddOutcome {
    // Any daemon on the database may be asked: the check and the cosigned state it persists are one step.
    return this.o.state.exclusive(this.o.origin, () => this.addNow(oldSize, proof, note));
  }

  private addNow(oldSize: number, proof: readonly Hash[], note: string): AddOutcome {
    if (this.o.state.active()) return { status: 503, code: 'UNAVAILABLE', message: 'this witness holds an alarm about the log and cosigns nothing until its operator acts' };
    let cp: Checkpoint;
    try {
      // The origin decides which keys apply: an unknown one is 404 before any signature check.
      if (parseCheckpoint(parseNote(note).text).origin !== this.o.origin) return { status: 404, code: 'NOT_FOUND', message: 'this witness does not witness that origin' };
      cp = openCheckpoint(note, this.o.origin, [this.o.verifier]).checkpoint;
    } catch (err) {
      const reason = err instanceof TlogError ? err.reason : 'MALFORMED';
      if (reason === 'WRONG_ORIGIN') return { status: 404, code: 'NOT_FOUND', message: 'this witness does not witness that origin' };
      if (reason === 'MALFORMED') return { status: 400, code: 'BAD_REQUEST', message: (err as Error).message };
      return { status: 403, code: 'SIGNATURE_MISMATCH', message: 'no signature of the log\'s key verifies' };
    }
    if (oldSize > cp.size) return { status: 400, code: 'BAD_REQUEST', message: 'old size is above the checkpoint size' };
    const prev = this.latest();
    const ourSize = prev?.size ?? 0;
    if (oldSize !== ourSize) return { status: 409, size: ourSize, message: `the latest cosigned size is ${ourSize}` };
    if (prev && cp.size === prev.size && !equalBytes(cp.root, new Uint8Array(prev.root))) {
      this.alarm('fork', `two checkpoints of size ${cp.size} with different roots`, prev.note, note);
      return { status: 409, size: null, message: 'a checkpoint of this size with another root was cosigned' };
    }
    if (prev && cp.size > prev.size && !verifyConsistency(prev.size, cp.size, new Uint8Array(prev.root), cp.root, proof)) {
      return { status: 422, code: 'BAD_REQUEST', message: `the consistency proof from ${prev.size} to ${cp.size} does not verify` };
    }
    if (!prev && proof.length > 0) return { status: 422, code: 'BAD_REQUEST', message: 'the proof must be empty when the old size is 0' };
    return { status: 200, body: this.cosignNow(cp, note, prev?.size === cp.size ? prev.cosignature : null) };
  }

  /** Parse and handle an add-checkpoint request body. */
  addRequest(body: string): AddOutcome {
    try {
      const r = parseAddCheckpoint(body);
      return this.add(r.oldSize, r.proof, r.checkpoint);
    } catch (err) {
      return { status: 400, code: 'BAD_REQUEST', message: (err as Error).message };
    }
  }

  private cosignNow(cp: Checkpoint, note: string, same: string | null): string {
    const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
    const line = same ?? cosign(this.o.key, text, this.now());
    // Keep only the log's own signature line: cosignatures of others are not ours to republish.
    const own = note.split('\n').filter((l) => l.startsWith(`— ${this.o.verifier.name} `)).map((l) => `${l}\n`).join('');
    this.o.state.setCosigned(this.o.origin, cp.size, cp.root, `${text}\n${own}`, line, this.now());
    return line;
  }

  health() {
    const c = this.latest();
    const a = this.o.state.active();
    return {
      origin: this.o.origin,
      cosigner_key: this.cosignerKey,
      cosigned: c ? { size: c.size, root: toBase64(new Uint8Array(c.root)), cosigned_at: c.cosigned_at } : null,
      alarm: a ? { id: a.id, kind: a.kind, message: a.message, raised_at: Math.floor(a.raised_at / 1000) } : null,
    };
  }
}
