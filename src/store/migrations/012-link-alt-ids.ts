import type { Migration } from '../migrate.js';

/**
 * The alt_id of each link (the platform's stable account id the link's proof was made by), so
 * /v1/proofchain shows what a link was made with even after a later delete or re-bind of the
 * same identity replaced or removed the binding. Kept by triggers on `bindings` (every writer —
 * append, checkers — sets a binding's alt_id there): the first non-empty alt_id a link's binding
 * gets is the link's, and it never changes. Links themselves stay immutable.
 */
export const linkAltIds: Migration = {
  version: 12,
  name: 'link-alt-ids',
  up(db) {
    db.exec(`
      CREATE TABLE link_alt_ids (
        link_id INTEGER PRIMARY KEY REFERENCES links(id),
        alt_id TEXT NOT NULL
      );
      CREATE TRIGGER bindings_alt_id_insert AFTER INSERT ON bindings WHEN new.alt_id <> '' BEGIN
        INSERT OR IGNORE INTO link_alt_ids (link_id, alt_id) VALUES (new.link_id, new.alt_id);
      END;
      CREATE TRIGGER bindings_alt_id_update AFTER UPDATE OF alt_id, link_id ON bindings WHEN new.alt_id <> '' BEGIN
        INSERT OR IGNORE INTO link_alt_ids (link_id, alt_id) VALUES (new.link_id, new.alt_id);
      END;
      INSERT OR IGNORE INTO link_alt_ids (link_id, alt_id) SELECT link_id, alt_id FROM bindings WHERE alt_id <> '';
    `);
  },
  postgres(db) {
    db.exec(`
      CREATE TABLE link_alt_ids (
        link_id BIGINT PRIMARY KEY REFERENCES links(id),
        alt_id TEXT NOT NULL
      );
      CREATE FUNCTION bindings_alt_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO link_alt_ids (link_id, alt_id) VALUES (NEW.link_id, NEW.alt_id) ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER bindings_alt_id_insert AFTER INSERT ON bindings FOR EACH ROW WHEN (NEW.alt_id <> '') EXECUTE FUNCTION bindings_alt_id();
      CREATE TRIGGER bindings_alt_id_update AFTER UPDATE OF alt_id, link_id ON bindings FOR EACH ROW WHEN (NEW.alt_id <> '') EXECUTE FUNCTION bindings_alt_id();
      INSERT INTO link_alt_ids (link_id, alt_id) SELECT link_id, alt_id FROM bindings WHERE alt_id <> '' ON CONFLICT DO NOTHING;
    `);
  },
};
