/**
 * Config loading: defaults ← config file ← PROOFKEEP_* environment ← CLI flags, validated once
 * against the one schema (src/config/schema.ts; how to add a key: src/config/fields.ts), each
 * problem named once (unknown keys and bad values), then deep-frozen.
 */
import { readFileSync } from 'node:fs';
import type { ErrorCode } from '../core/errors.js';
import { deepFreeze, defaultsTree, isSection, leafOf, leaves, type Leaf, type Section } from './fields.js';
import { ENV_ALIASES, schema as defaultSchema, type Config } from './schema.js';

export { defaultsOf, leaves } from './fields.js';

/** Every problem found, at once; its code in the one catalogue is BAD_CONFIG. */
export class ConfigError extends Error {
  readonly code = 'BAD_CONFIG' satisfies ErrorCode;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function envName(path: string): string {
  return `PROOFKEEP_${path.split('.').map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

function checkLeaf(path: string, leaf: Leaf, v: unknown, problems: string[]): void {
  const bad = (what: string): void => {
    problems.push(`${path} must be ${what}, got ${JSON.stringify(v)}`);
  };
  switch (leaf.type) {
    case 'string':
      if (typeof v !== 'string') return bad('a string');
      if (leaf.pattern && !leaf.pattern.test(v)) return bad(`a string matching ${leaf.pattern}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') bad('true or false');
      return;
    case 'integer':
    case 'number': {
      const range = `${leaf.min === undefined ? '' : ` ≥ ${leaf.min}`}${leaf.max === undefined ? '' : ` ≤ ${leaf.max}`}`;
      if (typeof v !== 'number' || !Number.isFinite(v) || (leaf.type === 'integer' && !Number.isInteger(v))) return bad(`${leaf.type === 'integer' ? 'an integer' : 'a number'}${range}`);
      if ((leaf.min !== undefined && v < leaf.min) || (leaf.max !== undefined && v > leaf.max)) bad(`${leaf.type === 'integer' ? 'an integer' : 'a number'}${range}`);
      return;
    }
    case 'enum':
      if (typeof v !== 'string' || !leaf.values.includes(v)) bad(`one of ${leaf.values.join(', ')}`);
      return;
    case 'string[]':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return bad('an array of strings');
      if (leaf.values) {
        const unknown = v.filter((x) => !leaf.values!.includes(x as string));
        if (unknown.length) problems.push(`${path} has unknown values ${unknown.join(', ')} (known: ${leaf.values.join(', ')})`);
      }
  }
}

/** Merge `input` into `target` (both shaped by `section`), collecting every problem. */
function mergeInto(section: Section, target: Obj, input: unknown, path: string, problems: string[]): void {
  if (!isObj(input)) {
    problems.push(`${path || 'config'} must be an object`);
    return;
  }
  for (const [k, v] of Object.entries(input)) {
    const p = path ? `${path}.${k}` : k;
    const node = Object.hasOwn(section.properties, k) ? section.properties[k] : undefined;
    if (node === undefined) {
      problems.push(`unknown key ${p} (known in ${path || 'top level'}: ${Object.keys(section.properties).join(', ')})`);
      continue;
    }
    if (isSection(node)) {
      mergeInto(node, target[k] as Obj, v, p, problems);
    } else {
      const before = problems.length;
      checkLeaf(p, leafOf(node), v, problems);
      if (problems.length === before) target[k] = v;
    }
  }
}

/** Marks an env value that could not be parsed: its problem is already reported, so it is not merged. */
const UNPARSED = Symbol('unparsed');

function parseEnvValue(path: string, leaf: Leaf, raw: string, problems: string[]): unknown {
  switch (leaf.type) {
    case 'integer':
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isNaN(n)) return n;
      problems.push(`${path} (from environment) must be a number, got ${JSON.stringify(raw)}`);
      return UNPARSED;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      problems.push(`${path} (from environment) must be true or false, got ${JSON.stringify(raw)}`);
      return UNPARSED;
    case 'string[]':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

function setPath(obj: Obj, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(cur[p])) cur[p] = {};
    cur = cur[p] as Obj;
  }
  cur[parts[parts.length - 1]!] = value;
}

export interface LoadOptions {
  /** path of a JSON config file (flag --config or PROOFKEEP_CONFIG) */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** overrides by dotted path, e.g. {'server.port': 0}; highest precedence */
  overrides?: Record<string, unknown>;
  schema?: Section;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const schema = opts.schema ?? defaultSchema;
  const env = opts.env ?? {};
  const problems: string[] = [];
  const config = defaultsTree(schema);
  const file = opts.file ?? env['PROOFKEEP_CONFIG'];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`cannot read config file ${file}: ${(err as Error).message}`]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError([`config file ${file} is not valid JSON: ${(err as Error).message}`]);
    }
    mergeInto(schema, config, parsed, '', problems);
  }
  const byEnv = new Map(leaves(schema).map(([p, leaf]) => [envName(p), [p, leaf] as const]));
  const fromEnv: Obj = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PROOFKEEP_') || raw === undefined || name === 'PROOFKEEP_CONFIG') continue;
    const alias = ENV_ALIASES[name];
    const hit = alias ? byEnv.get(envName(alias)) : byEnv.get(name);
    if (!hit) {
      problems.push(`unknown environment variable ${name}`);
      continue;
    }
    const value = parseEnvValue(hit[0], hit[1], raw, problems);
    if (value !== UNPARSED) setPath(fromEnv, hit[0], value);
  }
  mergeInto(schema, config, fromEnv, '', problems);
  const fromFlags: Obj = {};
  for (const [p, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(fromFlags, p, v);
  mergeInto(schema, config, fromFlags, '', problems);
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(config) as unknown as Config;
}

/** A copy safe to print or log: secret leaves replaced. */
export function redactConfig(config: Config, schema: Section = defaultSchema): Obj {
  const copy = structuredClone(config) as unknown as Obj;
  for (const [p, leaf] of leaves(schema)) {
    if (leaf.type === 'string' && leaf.secret) {
      const parts = p.split('.');
      let cur: Obj | undefined = copy;
      for (const k of parts.slice(0, -1)) cur = isObj(cur?.[k]) ? (cur![k] as Obj) : undefined;
      const last = parts[parts.length - 1]!;
      if (cur && typeof cur[last] === 'string' && cur[last] !== '') cur[last] = '<redacted>';
    }
  }
  return copy;
}
