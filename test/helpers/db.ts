/**
 * A real index with every table owner's schema, as the daemon opens it: a SQLite file, or in the
 * postgres vitest project a fresh PostgreSQL database (the file name then only keys it).
 */
import { SCHEMA } from '../../src/schema.js';
import { openDatabase, Store, type Db, type StoreOptions } from '../../src/store/index.js';
import { freshDatabase, testEngine } from './postgres.js';

const databases = new Map<string, string>();

export function openAll(file: string, opts: StoreOptions = {}): { db: Db; store: Store } {
  const engine = testEngine();
  let db: Db;
  if (engine.engine === 'postgres') {
    const url = databases.get(file) ?? freshDatabase(engine.baseUrl);
    databases.set(file, url);
    db = openDatabase({ engine: 'postgres', url, migrations: SCHEMA });
  } else {
    db = openDatabase({ file, migrations: SCHEMA });
  }
  return { db, store: new Store(db, opts) };
}
