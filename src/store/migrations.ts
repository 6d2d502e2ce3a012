/** The store's own migrations (avatars, links, bindings, the binding search index). */
import { base } from './migrations/001-base.js';
import { identitySearch } from './migrations/005-identity-search.js';
import type { Migration } from './migrate.js';

export { migrate, type Migration } from './migrate.js';

export const MIGRATIONS: readonly Migration[] = [base, identitySearch];
