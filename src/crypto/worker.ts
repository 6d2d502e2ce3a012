/**
 * Worker thread of the verify pool: picks its recovery backend by the pool's mode, then answers
 * `{id, items}` messages with `{id, results}` in item order. Items are attacker-controlled links;
 * verifyItem never throws for them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyItem, type RecoveryBackend, type VerifyItem, type VerifyResult } from '../core/index.js';
import type { BackendMode } from './config.js';
import { closeOnStop, type StopMessage } from '../util/worker-stop.js';
import { selectBackend } from './select.js';

export interface WorkerInit {
  mode: BackendMode;
}
export type ToWorker = { id: number; items: VerifyItem[] };
export type FromWorker =
  | { type: 'ready'; backend: string; keccak: string; fallbackReason?: string }
  | { type: 'failed'; message: string }
  | { type: 'results'; id: number; results: VerifyResult[] };

const port = parentPort;
if (!port) throw new Error('src/crypto/worker is a worker_threads entry point');

let backend: RecoveryBackend | null = null;
try {
  const sel = selectBackend((workerData as WorkerInit).mode);
  backend = sel.backend;
  port.postMessage({ type: 'ready', backend: sel.name, keccak: sel.keccak, ...(sel.fallbackReason ? { fallbackReason: sel.fallbackReason } : {}) } satisfies FromWorker);
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) } satisfies FromWorker);
}

port.on('message', (msg: ToWorker | StopMessage) => {
  if (closeOnStop(port, msg) || !backend) return;
  const results = msg.items.map((it) => verifyItem(it, backend!));
  port.postMessage({ type: 'results', id: msg.id, results } satisfies FromWorker);
});
