import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { linkJson, toProofchainItem } from '../../src/core/index.js';
import { avatarOf, captureIo, makeChain, secretKey, signLink, tempDir, uuidFor } from './helpers.js';

const FIX = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<string, Array<{ code: string; index: number; unplaced?: boolean }>>;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function audit(args: string[], tty = false) {
  const c = captureIo(tty);
  const code = await run(['--workers', '1', ...args], c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('audit: chain document files', () => {
  for (const [name, problems] of Object.entries(expected)) {
    it(`${name}: ${problems.length === 0 ? 'verifies' : problems.map((p) => p.code).join(', ')}`, async () => {
      const r = await audit(['--json', join(FIX, 'chains', name)]);
      const rep = JSON.parse(r.out);
      expect(r.code).toBe(problems.length === 0 ? 0 : 1);
      const got = rep.problems.map((p: { code: string; index: number; unplaced?: boolean }) => ({ code: p.code, index: p.index, ...(p.unplaced ? { unplaced: true } : {}) }));
      expect(got.sort((a: { index: number }, b: { index: number }) => a.index - b.index)).toEqual([...problems].sort((a, b) => a.index - b.index));
      for (const p of rep.problems) {
        expect(p.avatar).toMatch(/^0x0[23][0-9a-f]{64}$|^0x04/);
        expect(p.source).toContain(name);
        if (p.index >= 0) expect(p.uuid).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  }

  it('a directory: every file, one report; the readable summary names avatar, link, uuid and code', async () => {
    const r = await audit([join(FIX, 'chains')]);
    expect(r.code).toBe(1);
    const total = Object.values(expected).reduce((n, p) => n + p.length, 0);
    expect(r.out).toContain(`${total} problem(s)`);
    expect(r.out).toMatch(/SIGNATURE_MISMATCH {2}avatar 0x0[23][0-9a-f]{64} link 2 uuid [0-9a-f-]{36}/);
    expect(r.out).toContain('PROBLEMS FOUND');
    expect(r.err).toBe(''); // no progress bar when piped
  });

  it('good files only: exit 0 and OK', async () => {
    const r = await audit([join(FIX, 'chains', 'good-5.json'), join(FIX, 'chains', 'good-nextid-3.json'), join(FIX, 'chains', 'good-legacy.json')]);
    expect(r.out).toMatch(/^OK: 3 avatar\(s\), 9 link\(s\), 9 verified, 0 problem\(s\)/m);
    expect(r.code).toBe(0);
  });

  it('usage errors exit 2', async () => {
    expect((await audit([])).code).toBe(2);
    expect((await audit(['/no/such/file.json'])).code).toBe(2);
    expect((await audit(['--avatar', '0x02'])).code).toBe(2);
    expect((await audit(['--bogus'])).code).toBe(2);
    expect((await audit(['--backend', 'gpu', join(FIX, 'chains', 'good-5.json')])).code).toBe(2);
  });
});

describe('audit: small JSON Lines dumps', () => {
  const sk = secretKey('dump-small');
  const other = secretKey('dump-small-2');
  const feed = (key: Uint8Array, links: ReturnType<typeof makeChain>, from = 0) =>
    links.map((l, i) => JSON.stringify({ ...toProofchainItem(l), avatar: avatarOf(key).id, id: from + i + 1 }));

  it('feed links (no prev field) grouped by avatar, plus a document line, all verify', async () => {
    const a = makeChain(sk, 4, 'a');
    const b = makeChain(other, 3, 'b');
    const doc = readFileSync(join(FIX, 'chains', 'good-nextid-3.json'), 'utf8');
    const file = join(tmp.dir, 'ok.jsonl');
    writeFileSync(file, [...feed(sk, a), ...feed(other, b, 4), doc, ''].join('\n'));
    const r = await audit(['--json', file]);
    const rep = JSON.parse(r.out);
    expect(rep.problems).toEqual([]);
    expect(rep.totals).toEqual({ avatars: 3, links: 10, verified: 10, problems: 0 });
    expect(r.code).toBe(0);
  });

  it('reports forged, forked, duplicate and unreadable lines with their line numbers', async () => {
    const a = makeChain(sk, 4, 'a');
    const forged = { ...a[1]!, identity: 'not_signed' }; // payload still says a_1
    const twin = signLink(sk, a[3]!.signature, { identity: 'twin1', uuid: uuidFor('t1'), created_at: 1_700_000_500 });
    const twin2 = signLink(sk, a[3]!.signature, { identity: 'twin2', uuid: uuidFor('t2'), created_at: 1_700_000_501 });
    const replay = signLink(sk, twin.signature, { identity: 'replay', uuid: a[0]!.uuid, created_at: 1_700_000_502 });
    const lines = [
      ...feed(sk, [a[0]!, forged, a[2]!, a[3]!]), // 1..4: forged at 2, 3 and 4 hang off it
      '{not json', // 5
      ...feed(other, makeChain(other, 2, 'o'), 10), // 6..7 fine
      ...feed(sk, [twin, twin2, replay], 20), // 8..10: another group of avatar sk, after other avatar
    ];
    const file = join(tmp.dir, 'bad.jsonl');
    writeFileSync(file, lines.join('\n'));
    const r = await audit(['--json', file]);
    const rep = JSON.parse(r.out);
    const got = rep.problems.map((p: { code: string; line: number }) => `${p.line}:${p.code}`);
    // twin extends a[3], which hangs off the forged link: broken too; twin2 and the replay follow it
    expect(got).toEqual(['2:PAYLOAD_MISMATCH', '3:BROKEN_ANCESTOR', '4:BROKEN_ANCESTOR', '5:BAD_REQUEST', '8:BROKEN_ANCESTOR', '9:BROKEN_ANCESTOR', '10:BROKEN_ANCESTOR']);
    expect(rep.warnings.join(' ')).toContain('not grouped by Avatar');
    expect(r.code).toBe(1);
  });

  it('links after an unsigned or unreadable link are BROKEN_ANCESTOR', async () => {
    const a = makeChain(sk, 2, 'us');
    const unsigned = { ...a[1]!, signature: '' };
    const after = signLink(sk, '', { identity: 'us_after', uuid: uuidFor('usa'), created_at: 1_700_000_700 });
    const b = makeChain(other, 3, 'ur');
    const unreadable = { ...JSON.parse(feed(other, [b[1]!])[0]!), created_at: 'yesterday' };
    const file = join(tmp.dir, 'unsigned.jsonl');
    writeFileSync(file, [...feed(sk, [a[0]!, unsigned, after]), feed(other, [b[0]!])[0], JSON.stringify(unreadable), feed(other, [b[2]!])[0]].join('\n'));
    const rep = JSON.parse((await audit(['--json', file])).out);
    expect(rep.problems.map((p: { line: number; code: string }) => `${p.line}:${p.code}`)).toEqual(['2:UNVERIFIABLE', '3:BROKEN_ANCESTOR', '5:BAD_CREATED_AT', '6:BROKEN_ANCESTOR']);
  });

  it('a line may hold a whole /v1/proofchain/changes page', async () => {
    const a = makeChain(sk, 3, 'pg');
    const file = join(tmp.dir, 'pages.jsonl');
    const items = feed(sk, a).map((l) => JSON.parse(l));
    writeFileSync(file, `${JSON.stringify({ links: items.slice(0, 2) })}\n${JSON.stringify({ links: items.slice(2) })}\n`);
    const rep = JSON.parse((await audit(['--json', file])).out);
    expect(rep.totals).toEqual({ avatars: 1, links: 3, verified: 3, problems: 0 });
  });

  it('fork and replay in a healthy chain are FORK and DUPLICATE_UUID', async () => {
    const a = makeChain(sk, 3, 'h');
    const twin = signLink(sk, a[1]!.signature, { identity: 'twin', uuid: uuidFor('ht'), created_at: 1_700_000_600 });
    const replay = signLink(sk, a[2]!.signature, { identity: 'again', uuid: a[0]!.uuid, created_at: 1_700_000_601 });
    const file = join(tmp.dir, 'fork.jsonl');
    writeFileSync(file, feed(sk, [...a, twin, replay]).join('\n'));
    const rep = JSON.parse((await audit(['--json', file])).out);
    expect(rep.problems.map((p: { index: number; code: string }) => `${p.index}:${p.code}`)).toEqual(['3:FORK', '4:DUPLICATE_UUID']);
    expect(rep.totals.verified).toBe(3);
  });

  it('shows a progress bar on a terminal only', async () => {
    const file = join(tmp.dir, 'tty.jsonl');
    writeFileSync(file, feed(sk, makeChain(sk, 2, 'p')).join('\n'));
    const tty = await audit([file], true);
    expect(tty.err).toContain('\r');
    expect(tty.code).toBe(0);
    const piped = await audit([file], false);
    expect(piped.err).toBe('');
    // document bytes are unchanged by the audit (sanity: linkJson round-trip of the stored form)
    expect(linkJson(makeChain(sk, 1, 'p')[0]!)).toContain('"prev":null');
  });
});
