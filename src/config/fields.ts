/**
 * The config schema's building blocks. The schema is TypeBox (JSON Schema with static types):
 * one declaration of a key gives its TypeScript type (`ConfigOf<typeof section>`), its default
 * (`defaultsOf`), its validation and env variable name (load.ts) and its line in
 * config/REFERENCE.md and config/default.json (scripts/gen-config.ts). Nothing else describes a
 * key, so nothing can drift.
 *
 * ADDING A KEY is a one-place change:
 *   1. add it to its section with a helper below, e.g. in src/config/schema.ts's serverSection
 *        maxConnections: int(1024, 'Most open client connections; 0 = unlimited.', 0),
 *      (a whole new section: `export const fooSection = section({...})` in the owner's
 *      src/<part>/config.ts, composed once in src/config/schema.ts's `schema`);
 *   2. run `npm run config:gen` and commit config/default.json and config/REFERENCE.md (a test
 *      fails when they are out of step).
 * The type (`Config['server']['maxConnections']`, or the section's exported `XConfig`), the
 * default, the env variable (PROOFKEEP_SERVER_MAX_CONNECTIONS) and the validation follow. Do not
 * write an interface or a defaults object by hand; read the defaults with `defaultsOf(section)`.
 */
import { Kind, Type, type Static, type TArray, type TBoolean, type TInteger, type TNumber, type TObject, type TProperties, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox';

/** A config section: an object of leaves and sub-sections, no other keys allowed. */
export type Section = TObject;

/** Deep read-only view: what the loaded (deep-frozen) config is typed as. */
export type Frozen<T> = T extends readonly (infer U)[] ? readonly Frozen<U>[] : T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T;
/** Deep writable copy (tests that build a config by hand from `structuredClone(defaults)`). */
export type Draft<T> = T extends readonly (infer U)[] ? Draft<U>[] : T extends object ? { -readonly [K in keyof T]: Draft<T[K]> } : T;
/** The type of a section's values, derived from its schema. */
export type ConfigOf<S extends TSchema> = Frozen<Static<S>>;

/** A schema leaf, normalised for the loader and the generator. */
export type Leaf =
  | { type: 'string'; default: string; doc: string; secret?: boolean; pattern?: RegExp }
  | { type: 'integer'; default: number; doc: string; min?: number; max?: number }
  | { type: 'number'; default: number; doc: string; min?: number; max?: number }
  | { type: 'boolean'; default: boolean; doc: string }
  | { type: 'enum'; default: string; doc: string; values: readonly string[] }
  | { type: 'string[]'; default: readonly string[]; doc: string; values?: readonly string[] };

const range = (min?: number, max?: number): { minimum?: number; maximum?: number } => ({ ...(min === undefined ? {} : { minimum: min }), ...(max === undefined ? {} : { maximum: max }) });
// built by hand: Type.Union collapses a one-value list to a bare literal, and the loader reads anyOf
const literals = (values: readonly string[]): TSchema => ({ [Kind]: 'Union', anyOf: values.map((v) => Type.Literal(v)) }) as unknown as TSchema;

export const section = <P extends TProperties>(props: P): TObject<P> => Type.Object(props, { additionalProperties: false });
export const str = (def: string, doc: string, extra: { secret?: boolean; pattern?: RegExp } = {}): TString =>
  Type.String({ default: def, description: doc, ...(extra.secret ? { secret: true } : {}), ...(extra.pattern ? { pattern: extra.pattern.source } : {}) });
export const int = (def: number, doc: string, min?: number, max?: number): TInteger => Type.Integer({ default: def, description: doc, ...range(min, max) });
export const num = (def: number, doc: string, min?: number, max?: number): TNumber => Type.Number({ default: def, description: doc, ...range(min, max) });
export const bool = (def: boolean, doc: string): TBoolean => Type.Boolean({ default: def, description: doc });
export const oneOf = <const V extends readonly string[]>(values: V, def: V[number], doc: string): TUnsafe<V[number]> =>
  Type.Unsafe<V[number]>({ ...literals(values), default: def, description: doc });
export const list = (def: readonly string[], doc: string, values?: readonly string[]): TArray<TString> =>
  Type.Array(values ? (literals(values) as TString) : Type.String(), { default: [...def], description: doc });

type Node = TSchema & { [Kind]?: string };

export function isSection(node: TSchema): node is TObject {
  return (node as Node)[Kind] === 'Object';
}

const literalValues = (node: TSchema): string[] => ((node as { anyOf?: Array<{ const: string }> }).anyOf ?? []).map((l) => l.const);

/** The normalised description of a leaf schema (throws on a kind the helpers do not make). */
export function leafOf(node: TSchema): Leaf {
  const n = node as TSchema & Record<string, unknown>;
  const doc = String(n['description'] ?? '');
  const opt = <K extends string>(k: K, v: unknown): Record<K, number> | Record<string, never> => (typeof v === 'number' ? ({ [k]: v } as Record<K, number>) : {});
  switch ((node as Node)[Kind]) {
    case 'String':
      return { type: 'string', default: n['default'] as string, doc, ...(n['secret'] ? { secret: true } : {}), ...(typeof n['pattern'] === 'string' ? { pattern: new RegExp(n['pattern']) } : {}) };
    case 'Integer':
    case 'Number':
      return { type: (node as Node)[Kind] === 'Integer' ? 'integer' : 'number', default: n['default'] as number, doc, ...opt('min', n['minimum']), ...opt('max', n['maximum']) };
    case 'Boolean':
      return { type: 'boolean', default: n['default'] as boolean, doc };
    case 'Union':
      return { type: 'enum', default: n['default'] as string, doc, values: literalValues(node) };
    case 'Array': {
      const items = n['items'] as TSchema;
      return { type: 'string[]', default: n['default'] as string[], doc, ...((items as Node)[Kind] === 'Union' ? { values: literalValues(items) } : {}) };
    }
    default:
      throw new Error(`config schema: unsupported node kind ${String((node as Node)[Kind])}`);
  }
}

/** Every leaf with its dotted path, in schema order. */
export function leaves(s: TObject, prefix = ''): Array<[string, Leaf]> {
  return Object.entries(s.properties).flatMap(([k, node]) => (isSection(node) ? leaves(node, `${prefix}${k}.`) : [[`${prefix}${k}`, leafOf(node)] as [string, Leaf]]));
}

function freeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) freeze(v);
    Object.freeze(o);
  }
  return o;
}

/** A section's defaults, from the schema alone (a fresh object each call, deep-frozen). */
export function defaultsOf<S extends TObject>(s: S): ConfigOf<S> {
  return freeze(defaultsTree(s)) as ConfigOf<S>;
}

/** The same, writable (the loader merges into it before freezing). */
export function defaultsTree(s: TObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, node] of Object.entries(s.properties)) out[k] = isSection(node) ? defaultsTree(node) : structuredClone(leafOf(node).default);
  return out;
}

export { freeze as deepFreeze };
