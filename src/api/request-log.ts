/**
 * Per-request loggers made only when something logs. Fastify gives every request a child of the
 * daemon's logger (bound to its request id); pino's `child` serialises the bindings at once, a
 * measurable share of a cheap GET's CPU, though request logging is off and almost no request
 * logs anything. This child is created on the first log call instead: same bindings, same output.
 */
import type { FastifyBaseLogger } from 'fastify';

type Bindings = Record<string, unknown>;
type Logger = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

class LazyChild {
  made: Logger | undefined;

  constructor(
    readonly parent: Logger,
    private readonly bindingsOf: Bindings,
    private readonly opts: object,
  ) {}

  get real(): Logger {
    return (this.made ??= this.parent.child(this.bindingsOf, this.opts));
  }

  get level(): string {
    return this.made ? this.made.level : this.parent.level;
  }

  set level(l: string) {
    this.real.level = l;
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled?.(level) ?? true;
  }

  child(b: Bindings, o?: object): FastifyBaseLogger {
    return this.real.child(b, o);
  }

  bindings(): Bindings {
    return (this.real as unknown as { bindings(): Bindings }).bindings();
  }
}

for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly Level[]) {
  Object.defineProperty(LazyChild.prototype, level, {
    value(this: LazyChild, ...args: unknown[]) {
      // A level the parent does not log is dropped without making the child.
      if (level !== 'silent' && !this.made && this.parent.isLevelEnabled?.(level) === false) return;
      (this.real[level] as (...a: unknown[]) => void)(...args);
    },
  });
}

/** Fastify's `childLoggerFactory`: the request's logger, made on first use. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: object): FastifyBaseLogger {
  return new LazyChild(logger, bindings, opts) as unknown as FastifyBaseLogger;
}
