/**
 * The local devnet runs in a process of its own (off the API's event loop) and never outlives
 * the process that started it, even one killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startArlocal } from '../../src/archive/devnet.js';
import { waitFor } from './helpers.js';

const DEVNET = fileURLToPath(new URL('../../src/archive/devnet.ts', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pk-devnet-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local devnet process', () => {
  it('serves from a child process and stops when asked', async () => {
    const net = await startArlocal({ dir: join(dir, 'a'), port: 0 });
    expect(net.pid).not.toBe(process.pid);
    const info = await fetch(`${net.url}/info`);
    expect(info.status).toBe(200);
    await info.arrayBuffer();
    await net.stop();
    expect(alive(net.pid)).toBe(false);
    await expect(fetch(`${net.url}/info`)).rejects.toThrow();
  });

  it('exits by itself when its parent is killed', async () => {
    const script = `const { startArlocal } = await import(${JSON.stringify(DEVNET)});
      const n = await startArlocal({ dir: ${JSON.stringify(join(dir, 'b'))}, port: 0 });
      process.stdout.write(JSON.stringify({ pid: n.pid, url: n.url }) + '\\n');`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('the parent to print the devnet', () => out.includes('\n'));
    const { pid, url } = JSON.parse(out) as { pid: number; url: string };
    expect((await fetch(`${url}/info`)).status).toBe(200);
    parent.kill('SIGKILL');
    await waitFor('the orphaned devnet to exit', () => !alive(pid), 30_000);
  });
});
