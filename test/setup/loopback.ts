/**
 * vitest setup file: installs the loopback guard (./net-guard.mjs) in this worker and, through
 * NODE_OPTIONS, in every Node child process the tests start; after each test, any refused
 * connection or DNS lookup (here or in a child) fails that test, naming what was refused.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach } from 'vitest';
// @ts-expect-error plain JavaScript module (children load it without a TypeScript loader)
import { takeViolations } from './net-guard.mjs';

const GUARD = pathToFileURL(fileURLToPath(new URL('./net-guard.mjs', import.meta.url))).href;
const log = join(tmpdir(), `proofkeep-loopback-guard-${process.pid}.log`);
appendFileSync(log, '');
process.env['LOOPBACK_GUARD_LOG'] = log;
const opts = process.env['NODE_OPTIONS'] ?? '';
if (!opts.includes(GUARD)) process.env['NODE_OPTIONS'] = `${opts} --import ${GUARD}`.trim();

let seen = 0;
function refusals(): string[] {
  const mine = (takeViolations() as Array<{ what: string }>).map((v) => v.what);
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    /* removed by afterAll */
  }
  const lines = text.split('\n').filter(Boolean);
  const fresh = lines.slice(seen).filter((l) => !l.startsWith(`${process.pid}\t`)).map((l) => `child ${l.replace('\t', ': ')}`);
  seen = lines.length;
  return [...mine, ...fresh];
}

function check(when: string): void {
  const r = refusals();
  if (r.length) throw new Error(`tests never leave loopback: ${when} made ${r.length} non-loopback network call(s):\n  ${r.join('\n  ')}`);
}

afterEach(() => check('this test'));
afterAll(() => {
  try {
    check('this file (after its last test)');
  } finally {
    rmSync(log, { force: true });
  }
});
