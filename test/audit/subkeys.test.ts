/**
 * `proofkeep audit --service … --avatar …` audits the Avatar's subkeys with its chain: a real
 * proofkeep daemon's records verify; a service serving a forged, re-labelled or unsigned record
 * gets a problem with the code for each, and exit 1.
 */
import { URL } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { bytesToHex } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { post, startDaemon } from '../helpers/daemon.js';
import { captureIo, serve, type TestServer } from './helpers.js';

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function audit(service: string, avatar: string) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--json', '--service', service, '--avatar', avatar], c.io);
  return { code, rep: JSON.parse(c.stdout() || '{}') };
}
const p256Key = (label: string) => bytesToHex(p256.getPublicKey(new TestAvatar(label).secret, false).subarray(1));

describe('audit: subkeys', () => {
  it("a proofkeep daemon's subkeys verify from what it serves", async () => {
    const d = await startDaemon();
    closers.push(() => d.stop());
    const a = new TestAvatar('audit-subkeys');
    expect((await a.bind(d.url, 'twitter', 'audit_sk')).status).toBe(201);
    for (const rp of ['one.example', 'two.example']) {
      const f = { avatar: a.id, algorithm: 'es256', public_key: p256Key(rp), rp_id: rp };
      const p = await post(`${d.url}/v1/subkey/payload`, f);
      expect((await post(`${d.url}/v1/subkey`, { ...f, name: rp, signature: a.sign(p.body.sign_payload) })).status).toBe(200);
    }
    const r = await audit(d.url, a.id);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.sources[0].notes).toMatchObject({ subkeys: 2, subkeys_verified: 2 });
    expect(r.code).toBe(0);
  });

  it('forged, re-labelled-to-another-avatar and unsigned records are problems with their codes', async () => {
    const a = new TestAvatar('audit-subkeys-hostile');
    const b = new TestAvatar('audit-subkeys-other');
    const key = `0x${p256Key('h')}`;
    const pay = (who: TestAvatar, rp: string) => `{"avatar":"${who.id.slice(2)}","algorithm":"es256","public_key":"${key}","rp_id":"${rp}"}`;
    const rec = (rp: string, extra: Record<string, unknown> = {}) => ({ avatar: a.id, algorithm: 'es256', public_key: key, name: 'n', rp_id: rp, created_at: 1700000000, sign_payload: pay(a, rp), signature: a.sign(pay(a, rp)), ...extra });
    const subkeys = [
      rec('good.example'),
      rec('forged.example', { signature: b.sign(pay(a, 'forged.example')) }),
      rec('other.example', { avatar: b.id, sign_payload: pay(b, 'other.example'), signature: b.sign(pay(b, 'other.example')) }),
      rec('unsigned.example', { signature: '' }),
    ];
    const svc: TestServer = await serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/v1/proofchain') return void res.writeHead(200).end('{"pagination":{"total":0,"per":40,"current":1,"next":0},"proof_chain":[]}');
      if (u.pathname === '/v1/subkey') return void res.writeHead(200).end(JSON.stringify({ subkeys }));
      res.writeHead(404).end('{}');
    });
    closers.push(() => svc.close());
    const r = await audit(svc.url, a.id);
    expect(r.rep.problems.map((p: { code: string; message: string }) => `${p.code} ${/for (\S+)\)/.exec(p.message)?.[1]}`)).toEqual([
      'SIGNATURE_MISMATCH forged.example',
      'PAYLOAD_MISMATCH other.example',
      'UNVERIFIABLE unsigned.example',
    ]);
    expect(r.rep.sources[0].notes).toMatchObject({ subkeys: 4, subkeys_verified: 1 });
    expect(r.code).toBe(1);
  });
});
