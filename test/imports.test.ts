/** No import cycles in src/, type-only imports included; and the walker that says so can see one. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraph } from './helpers/import-graph.js';

describe('import graph', () => {
  it('src/ has no import cycle', () => {
    const graph = importGraph(join(import.meta.dirname, '..', 'src'));
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('daemon.ts')).toContain('component.ts');
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('finds a cycle made only of type imports, and a dynamic one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-imports-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
      writeFileSync(join(dir, 'b.ts'), "export type { A as B } from './a.js';\n");
      writeFileSync(join(dir, 'c.ts'), "// import { x } from './d.js';\nexport async function c() { return import('./d.js'); }\n");
      writeFileSync(join(dir, 'd.ts'), "import {\n  c,\n} from './c.js';\nexport const x = c;\n");
      writeFileSync(join(dir, 'e.ts'), "/* import './a.js' */ export const url = 'https://x/./a.js';\n");
      const cycles = findCycles(importGraph(dir)).map((c) => c.join(' → '));
      expect(cycles).toEqual(['a.ts → b.ts → a.ts', 'c.ts → d.ts → c.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
