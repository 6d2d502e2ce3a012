/** Child-process entry for tests that need a separate process (heap caps, kills): the audit CLI. */
import { run } from '../../src/cli/audit.js';

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: false, env: process.env });
