/**
 * Writes config/default.json (every key with its default) and config/REFERENCE.md (every key
 * with its type, default, env variable and meaning) from the one schema in src/config.
 * Run: npm run config:gen — a test fails when the committed files differ from the schema.
 */
import { writeFileSync } from 'node:fs';
import { defaultsOf, leaves, type Leaf, type Section } from '../src/config/fields.js';
import { envName } from '../src/config/load.js';
import { ENV_ALIASES, schema } from '../src/config/schema.js';

function typeOf(l: Leaf): string {
  switch (l.type) {
    case 'enum':
      return l.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'integer':
    case 'number':
      return `${l.type}${l.min !== undefined ? ` ≥ ${l.min}` : ''}${l.max !== undefined ? ` ≤ ${l.max}` : ''}`;
    default:
      return l.type;
  }
}

export function defaultJson(s: Section = schema): string {
  return `${JSON.stringify(defaultsOf(s), null, 2)}\n`;
}

export function referenceMd(s: Section = schema): string {
  const aliases = Object.fromEntries(Object.entries(ENV_ALIASES).map(([env, path]) => [path, env]));
  const rows = leaves(s).map(([path, l]) => {
    const env = aliases[path] ? `\`${envName(path)}\`, \`${aliases[path]}\`` : `\`${envName(path)}\``;
    const def = l.type === 'string' && l.secret ? '""' : JSON.stringify(l.default);
    return `| \`${path}\` | ${typeOf(l)} | \`${def}\` | ${env} | ${l.doc.replace(/\|/g, '\\|')} |`;
  });
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run config:gen`; do not edit by hand.',
    'Precedence: defaults < config file (`--config FILE` or `PROOFKEEP_CONFIG`) < environment < command-line flags.',
    'Unknown keys and bad values stop the daemon at start with a message naming them.',
    '',
    '| key | type | default | environment | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  writeFileSync(new URL('../config/default.json', import.meta.url), defaultJson());
  writeFileSync(new URL('../config/REFERENCE.md', import.meta.url), referenceMd());
  console.log('wrote config/default.json and config/REFERENCE.md');
}
