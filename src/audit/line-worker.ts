/**
 * Worker thread of the dump audit (src/audit/line-pool.ts): picks its recovery backend by the
 * auditor's mode, then answers `{id, bytes}` (whole lines of a dump, transferred) with the chunk
 * result of src/audit/lines.ts. Lines are attacker-controlled; a bad line is a result, never a
 * throw — anything else thrown is a defect of ours, reported back as the chunk's error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecoveryBackend } from '../core/index.js';
import type { BackendMode } from '../crypto/config.js';
import { selectBackend } from '../crypto/select.js';
import { closeOnStop, type StopMessage } from '../util/worker-stop.js';
import { auditChunkBytes, transferables, type ChunkResult } from './lines.js';

export interface LineWorkerInit {
  mode: BackendMode;
}
export type ToLineWorker = { id: number; bytes: Uint8Array };
export type FromLineWorker =
  | { type: 'ready'; backend: string }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; result: ChunkResult }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('src/audit/line-worker is a worker_threads entry point');

let backend: RecoveryBackend | null = null;
try {
  const sel = selectBackend((workerData as LineWorkerInit).mode);
  backend = sel.backend;
  port.postMessage({ type: 'ready', backend: sel.name } satisfies FromLineWorker);
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) } satisfies FromLineWorker);
}

port.on('message', (msg: ToLineWorker | StopMessage) => {
  if (closeOnStop(port, msg) || !backend) return;
  let result: ChunkResult;
  try {
    result = auditChunkBytes(msg.bytes, backend);
  } catch (err) {
    port.postMessage({ type: 'error', id: msg.id, message: (err as Error)?.message ?? String(err) } satisfies FromLineWorker);
    return;
  }
  port.postMessage({ type: 'result', id: msg.id, result } satisfies FromLineWorker, transferables(result));
});
