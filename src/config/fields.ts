/**
 * A small schema format for config: every leaf has a type, a default and a doc line. One
 * schema yields the defaults (config/default.json), the validation, the env variable names and
 * the README reference, so they cannot drift apart.
 */
export type Leaf =
  | { type: 'string'; default: string; doc: string; secret?: boolean; pattern?: RegExp }
  | { type: 'integer'; default: number; doc: string; min?: number; max?: number }
  | { type: 'number'; default: number; doc: string; min?: number; max?: number }
  | { type: 'boolean'; default: boolean; doc: string }
  | { type: 'enum'; default: string; doc: string; values: readonly string[] }
  | { type: 'string[]'; default: readonly string[]; doc: string; values?: readonly string[] };

export interface Section {
  [key: string]: Leaf | Section;
}

export function isLeaf(node: Leaf | Section): node is Leaf {
  return typeof (node as Leaf).type === 'string' && typeof (node as Leaf).doc === 'string';
}

/** Helpers keep schema files short and typed. */
export const str = (def: string, doc: string, extra: { secret?: boolean; pattern?: RegExp } = {}): Leaf => ({ type: 'string', default: def, doc, ...extra });
export const int = (def: number, doc: string, min?: number, max?: number): Leaf => ({ type: 'integer', default: def, doc, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
export const num = (def: number, doc: string, min?: number, max?: number): Leaf => ({ type: 'number', default: def, doc, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
export const bool = (def: boolean, doc: string): Leaf => ({ type: 'boolean', default: def, doc });
export const oneOf = (values: readonly string[], def: string, doc: string): Leaf => ({ type: 'enum', default: def, doc, values });
export const list = (def: readonly string[], doc: string, values?: readonly string[]): Leaf => ({ type: 'string[]', default: def, doc, ...(values ? { values } : {}) });
