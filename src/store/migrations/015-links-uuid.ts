import type { Migration } from '../migrate.js';

/**
 * Lookup of links by uuid alone (the explorer's search, GET /v1/links/by_uuid): the unique index
 * is (avatar_id, uuid), which cannot serve a uuid without its Avatar. Numbered 15 to stay clear
 * of the migrations other parts add meanwhile (migrate() applies versions, not a sequence).
 */
export const linksUuid: Migration = {
  version: 15,
  name: 'links-uuid',
  up(db) {
    db.exec(`CREATE INDEX links_uuid ON links(uuid) WHERE uuid <> ''`);
  },
};
