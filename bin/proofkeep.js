#!/usr/bin/env node
// Entry point of the `proofkeep` command: runs the compiled CLI (npm install builds it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('proofkeep: dist/ is missing; run `npm run build` (npm install does it)\n');
  process.exit(1);
}
const { cliEntry } = await import(main.href);
await cliEntry();
