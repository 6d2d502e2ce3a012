/**
 * The page's sources (src/web, compiled with the DOM library) are outside the main tsconfig; this
 * test typechecks them with the core and audit code they bundle, so a change to those parts that
 * breaks the page fails the suite with the compiler's message rather than at run time in a browser.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('src/web typechecks', () => {
  it('tsc -p src/web/tsconfig.json reports no error', async () => {
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    const r = await promisify(execFile)(process.execPath, [tsc, '-p', 'src/web/tsconfig.json'], { cwd: root }).then(
      () => ({ code: 0, out: '' }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
