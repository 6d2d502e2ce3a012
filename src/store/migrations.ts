/** The store's own migrations (avatars, links, bindings, the binding search index, link alt ids, links by uuid). */
import { base } from './migrations/001-base.js';
import { identitySearch } from './migrations/005-identity-search.js';
import { linkAltIds } from './migrations/012-link-alt-ids.js';
import { linksUuid } from './migrations/015-links-uuid.js';
import type { Migration } from './migrate.js';

export { migrate, type Migration } from './migrate.js';

export const MIGRATIONS: readonly Migration[] = [base, identitySearch, linkAltIds, linksUuid];
