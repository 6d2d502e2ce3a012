/** Connection strings as operators write them (libpq's URL and key=value forms), never logged with a password. */
import { describe, expect, it } from 'vitest';
import { numberPlaceholders, redact, withParams } from '../../src/store/postgres.js';

describe('PostgreSQL connection strings', () => {
  it('adds the daemon\'s libpq parameters without overriding the operator\'s, to URLs that are not WHATWG URLs too', () => {
    expect(withParams('postgres:///proofkeep?host=/run/postgresql', ['connect_timeout=3', 'keepalives=1']))
      .toBe('postgres:///proofkeep?host=/run/postgresql&connect_timeout=3&keepalives=1');
    expect(withParams('postgres://u@db/p?connect_timeout=9', ['connect_timeout=3'])).toBe('postgres://u@db/p?connect_timeout=9');
    expect(withParams('postgresql://u@h1,h2/p', ['application_name=proofkeep'])).toBe('postgresql://u@h1,h2/p?application_name=proofkeep');
    expect(withParams('host=/run/postgresql dbname=p', ['connect_timeout=3'])).toBe('connect_timeout=3 host=/run/postgresql dbname=p');
  });

  it('never shows a password', () => {
    for (const [url, shown] of [
      ['postgres://u:s3cret@h:5432/db', 'postgres://u:***@h:5432/db'],
      ['postgres://u@h/db?sslmode=require&password=s3cret', 'postgres://u@h/db?sslmode=require&password=***'],
      ['postgresql://u:s3cret@h1,h2/db', 'postgresql://u:***@h1,h2/db'],
      ['host=h password=s3cret dbname=x', 'host=h password=*** dbname=x'],
      ['postgres:///db?host=/run/postgresql', 'postgres:///db?host=/run/postgresql'],
    ]) {
      expect(redact(url!)).toBe(shown);
      expect(redact(url!)).not.toContain('s3cret');
    }
  });

  it('numbers ? placeholders outside literals and comments', () => {
    expect(numberPlaceholders("SELECT '?' AS q, \"a?\" FROM t WHERE x = ? -- why?\n AND y = ?")).toEqual({ text: "SELECT '?' AS q, \"a?\" FROM t WHERE x = $1 -- why?\n AND y = $2", n: 2 });
  });
});
