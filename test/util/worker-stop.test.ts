import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { stopWorker } from '../../src/util/worker-stop.js';

/** A worker that answers the pool's stop like ours do (closes its port) and counts batches. */
const polite = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m && m.type === 'stop') return parentPort.close();
  const end = Date.now() + m.ms; while (Date.now() < end) {} // a batch: synchronous work
  parentPort.postMessage({ done: m.n });
});`;

describe('stopWorker', () => {
  it('lets a busy worker finish its batch, then it exits by itself', async () => {
    const w = new Worker(polite, { eval: true });
    const done: number[] = [];
    w.on('message', (m: { done: number }) => done.push(m.done));
    await new Promise((r) => w.once('online', r));
    let terminated = 0;
    const real = w.terminate.bind(w);
    w.terminate = () => (terminated++, real());
    w.postMessage({ n: 1, ms: 300 });
    await stopWorker(w, 10_000);
    expect(terminated).toBe(0);
    expect(done).toEqual([1]); // the batch it was on was finished and answered
    expect(w.threadId).toBe(-1);
  });

  it('terminates a worker that does not exit within the grace period', async () => {
    const w = new Worker(`require('node:worker_threads').parentPort.on('message', () => { for (;;) {} });`, { eval: true });
    await new Promise((r) => w.once('online', r));
    w.postMessage('spin');
    await stopWorker(w, 200);
    expect(w.threadId).toBe(-1);
  });

  it('returns at once for a worker that has already exited', async () => {
    const w = new Worker('', { eval: true });
    await new Promise((r) => w.once('exit', r));
    await stopWorker(w, 60_000);
    expect(w.threadId).toBe(-1);
  });
});
