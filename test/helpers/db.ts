/** A real SQLite file with every table owner's schema, as the daemon opens it. */
import { SCHEMA } from '../../src/schema.js';
import { openDatabase, Store, type Db, type StoreOptions } from '../../src/store/index.js';

export function openAll(file: string, opts: StoreOptions = {}): { db: Db; store: Store } {
  const db = openDatabase({ file, migrations: SCHEMA });
  return { db, store: new Store(db, opts) };
}
