/**
 * Stopping a worker thread without cutting a native call in half. `worker.terminate()` stops the
 * thread wherever it is; if that is inside a native addon's method (the `keccak` addon, run for
 * every Ethereum link), the addon's failed N-API calls end in a FATAL ERROR that takes the whole
 * process down. So a pool asks first: the worker closes its port when the message reaches it,
 * i.e. between two batches, and its thread ends by itself. Only a worker that has not exited
 * within `graceMs` (stuck in a batch far longer than any batch takes) is terminated.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

/** The message a pool sends to ask its worker to exit after the batch it is on. */
export const STOP = { type: 'stop' } as const;
export type StopMessage = typeof STOP;

export function isStop(msg: unknown): msg is StopMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'stop';
}

/** Worker side: on STOP, close the port so the thread's loop empties and it exits. */
export function closeOnStop<T>(port: MessagePort, msg: T | StopMessage): msg is StopMessage {
  if (!isStop(msg)) return false;
  port.close();
  return true;
}

/** Pool side: ask `worker` to exit, terminate it after `graceMs` if it has not. Never rejects. */
export function stopWorker(worker: Worker, graceMs = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (worker.threadId < 0) return resolve(); // already exited
    const kill = () => void worker.terminate().catch(() => undefined).then(() => resolve());
    const timer = setTimeout(kill, graceMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      worker.postMessage(STOP);
    } catch {
      clearTimeout(timer);
      kill();
    }
  });
}
