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
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info({ signal: sig }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await daemon.stop();
  log.flush();
  return 0;
}
