/** pino JSON logs on stderr (stdout stays for command output and the "listening" line). */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, destination: number | NodeJS.WritableStream = 2): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: false }) : destination;
  return pino(
    {
      level,
      base: { name: 'proofkeep' },
      // Belt and braces: secrets must never reach a log line even if passed by mistake.
      redact: { paths: ['*.adminToken', '*.token', '*.bearerToken', '*.botToken', '*.jwk', '*.wallet', '*.secret_key', 'headers.authorization'], censor: '<redacted>' },
    },
    dest,
  );
}

export type { Logger };
