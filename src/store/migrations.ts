/** The store's own migrations (avatars, links, bindings, the binding search index, links by uuid). */
import { base } from './migrations/001-base.js';
import { identitySearch } from './migrations/005-identity-search.js';
import { linksUuid } from './migrations/015-links-uuid.js';
import type { Migration } from './migrate.js';

export { migrate, type Migration } from './migrate.js';

export const MIGRATIONS: readonly Migration[] = [base, identitySearch, linksUuid];
