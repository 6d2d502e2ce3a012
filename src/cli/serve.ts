/** `proofkeep serve`: start the daemon, print the ready line, stop cleanly on SIGINT/SIGTERM. */
import { ConfigError, loadConfig } from '../config/load.js';
import { Daemon } from '../daemon.js';
import { createLogger } from '../log.js';
import { parseFlags, UsageError, type CliIO } from './io.js';

export const SERVE_USAGE = 'usage: proofkeep serve [--config FILE] [--data-dir DIR] [--host H] [--port N] [--mirror URL]';

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { flags, rest } = parseFlags(argv, { config: 'string', 'data-dir': 'string', host: 'string', port: 'string', mirror: 'string', help: 'boolean' });
  if (flags['help']) {
    io.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}\n${SERVE_USAGE}`);
  const port = flags['port'];
  if (port !== undefined && !/^\d{1,5}$/.test(String(port))) throw new UsageError('--port must be a number from 0 to 65535');
  let config;
  try {
    config = loadConfig({
      file: flags['config'] as string | undefined,
      env: io.env,
      overrides: {
        'store.dataDir': flags['data-dir'],
        'server.host': flags['host'],
        'server.port': port === undefined ? undefined : Number(port),
        'mirror.upstream': flags['mirror'],
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`proofkeep: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  const daemon = await Daemon.start(config, { log });
  io.stdout.write(`proofkeep listening on ${daemon.url}\n`);
  // The handler stays installed until the process exits. Removing it on the first signal (as
  // this once did) leaves only the handlers dependencies install through signal-exit (the archive
  // loads some), and signal-exit re-raises the signal when it finds itself the last listener: the
  // process then dies by SIGTERM (exit 143) in the middle of the graceful stop.
  const FORCED: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
  let signalled = false;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal: sig }, 'second signal during shutdown: exiting now');
        log.flush();
        process.exit(FORCED[sig] ?? 1);
      }
      signalled = true;
      log.info({ signal: sig }, 'shutting down');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await daemon.stop();
  log.flush();
  return 0;
}
