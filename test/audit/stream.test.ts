/**
 * The streaming auditor verifies several batches at once; the chain rule must still see every
 * earlier link of a group, whichever batch it was in.
 */
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/core/index.js';
import { AuditReport } from '../../src/audit/report.js';
import { LinkStreamAuditor } from '../../src/audit/stream.js';
import { inlineVerifier, type BulkVerifier } from '../../src/crypto/verifier.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';

describe('LinkStreamAuditor with batches in flight', () => {
  it('detects forks and replays that reach back across batch boundaries, in input order', async () => {
    const a = new TestAvatar('stream-a');
    const b = new TestAvatar('stream-b');
    const chain = a.chain(20, 1_700_000_000, 'stream');
    const fork = a.link({ prev: chain[2]!.signature, identity: 'forker', uuid: uuidFrom('stream-fork'), created_at: 1_700_000_100 });
    const replay = a.link({ prev: chain[19]!.signature, identity: 'again', uuid: chain[1]!.uuid, created_at: 1_700_000_200 });
    const other = b.chain(6, 1_700_000_000, 'stream-b');
    const lines = [...chain.map((l) => ({ avatar: a.id, item: l })), { avatar: a.id, item: fork }, { avatar: a.id, item: replay }, ...other.map((l) => ({ avatar: b.id, item: l }))];

    // A verifier that answers later batches first, to prove results are applied in order.
    const inline = inlineVerifier(nobleBackend);
    let calls = 0;
    const shuffled: BulkVerifier = {
      ...inline,
      async verifyLinks(items) {
        const delay = 30 - 10 * (calls++ % 3);
        await new Promise((r) => setTimeout(r, delay));
        return inline.verifyLinks(items);
      },
    };
    const report = new AuditReport();
    const summary = report.beginSource('test', 'dump');
    const auditor = new LinkStreamAuditor(report, summary, shuffled, 4, undefined, 3);
    for (const [i, l] of lines.entries()) await auditor.push({ ...l, line: i + 1 });
    await auditor.end();
    const problems = report.problems;
    expect(problems.map((p) => [p.line, p.code])).toEqual([
      [21, 'FORK'],
      [22, 'DUPLICATE_UUID'],
    ]);
    expect(summary.verified).toBe(26);
    expect(calls).toBeGreaterThan(3);
  });
});
