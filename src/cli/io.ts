/** What a subcommand gets: streams, whether stdout is a terminal, and the environment. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Minimal flag parser: --name value, --name=value, --flag; rejects unknown flags by name. */
export function parseFlags(argv: string[], spec: Record<string, 'string' | 'boolean'>): { flags: Record<string, string | boolean>; rest: string[] } {
  const flags: Record<string, string | boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      if (a === '--') {
        rest.push(...argv.slice(i + 1));
        break;
      }
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const v = eq === -1 ? argv[++i] : a.slice(eq + 1);
      if (v === undefined || (eq === -1 && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags[name] = v;
    }
  }
  return { flags, rest };
}
