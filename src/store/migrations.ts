/** The store's own migrations (avatars, links, bindings, the binding search index, link alt ids, links by uuid, search index kept per batch). */
import { base } from './migrations/001-base.js';
import { identitySearch } from './migrations/005-identity-search.js';
import { linkAltIds } from './migrations/012-link-alt-ids.js';
import { linksUuid } from './migrations/015-links-uuid.js';
import { identitySearchBatched } from './migrations/016-identity-search-batched.js';
import type { Migration } from './migrate.js';

export { migrate, type Migration } from './migrate.js';

export const MIGRATIONS: readonly Migration[] = [base, identitySearch, linkAltIds, linksUuid, identitySearchBatched];
