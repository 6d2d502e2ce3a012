/**
 * Composition rules for components (the contract is in ./component.ts): the start order from
 * the `after` declarations, and the API capabilities merged from what each one provides.
 */
import type { ApiCapabilities, Component } from './component.js';

/**
 * Start order: every component after the ones it names, otherwise in the order given. A name
 * that no component has, or a cycle, is a wiring error (thrown at start-up).
 */
export function startOrder(components: readonly Component[]): Component[] {
  const byName = new Map<string, Component>();
  for (const c of components) {
    if (byName.has(c.name)) throw new Error(`two components are named "${c.name}"`);
    byName.set(c.name, c);
  }
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: Component[] = [];
  const visit = (c: Component, path: string[]) => {
    if (done.has(c.name)) return;
    if (visiting.has(c.name)) throw new Error(`components depend on each other: ${[...path, c.name].join(' → ')}`);
    visiting.add(c.name);
    for (const dep of c.after ?? []) {
      const d = byName.get(dep);
      if (!d) throw new Error(`component "${c.name}" starts after "${dep}", which is not part of this daemon`);
      visit(d, [...path, c.name]);
    }
    visiting.delete(c.name);
    done.add(c.name);
    out.push(c);
  };
  for (const c of components) visit(c, []);
  return out;
}

/** The API's capabilities: each one from exactly one component (two providers is a wiring error). */
export function mergeCapabilities(components: readonly Component[]): ApiCapabilities {
  const merged: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const c of components) {
    for (const [key, value] of Object.entries(c.api ?? {})) {
      if (value === undefined) continue;
      if (key in merged) throw new Error(`API capability "${key}" is provided by both "${from[key]}" and "${c.name}"`);
      merged[key] = value;
      from[key] = c.name;
    }
  }
  return Object.freeze(merged) as ApiCapabilities;
}

/** /healthz sections, one per component that reports health, under its name. */
export function healthSections(components: readonly Component[]): () => Record<string, unknown> {
  const reporting = components.filter((c) => c.health);
  // A section whose component cannot answer (its database is down) says so; /healthz still answers.
  return () =>
    Object.fromEntries(
      reporting.map((c) => {
        try {
          return [c.name, c.health!()];
        } catch (err) {
          return [c.name, { error: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
}
