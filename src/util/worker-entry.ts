/**
 * How to start a worker_threads entry that sits next to the calling module, whether the code
 * runs built (dist/*.js: the .js file itself) or from source (tsx, vitest: the .ts file behind a
 * small bootstrap that registers tsx in the worker first — on Node 20 `execArgv: ['--import',
 * 'tsx']` does not apply to a worker's .ts entry ("Unknown file extension"), while registering
 * tsx's ESM hooks from inside the worker does).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** URL of tsx's ESM register API (the `import` condition of `tsx/esm/api`; the CJS one fails here). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = require(pkgPath) as { exports?: Record<string, { import?: { default?: string } | string }> };
  const imp = pkg.exports?.['./esm/api']?.import;
  const rel = typeof imp === 'string' ? imp : imp?.default;
  if (!rel) throw new Error('cannot locate tsx/esm/api to run a worker from TypeScript source');
  return pathToFileURL(path.join(path.dirname(pkgPath), rel)).href;
}

/**
 * The entry `name` (without extension) beside the module at `callerUrl` (its import.meta.url),
 * as `new Worker(entry, { eval })` takes it.
 */
export function workerEntry(callerUrl: string, name: string): { entry: string | URL; eval: boolean } {
  const self = fileURLToPath(callerUrl);
  if (!self.endsWith('.ts')) return { entry: new URL(`./${name}.js`, callerUrl), eval: false };
  const target = new URL(`./${name}.ts`, callerUrl).href;
  const tsxApi = tsxEsmApi();
  return {
    entry: `import(${JSON.stringify(tsxApi)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(target)}); })`,
    eval: true,
  };
}
