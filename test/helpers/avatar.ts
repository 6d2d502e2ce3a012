/** A test Avatar: a real key pair that signs payloads like a Next.ID client would. */
import { createHash } from 'node:crypto';
import {
  addressOf, buildSignPayload, bytesToBase64, bytesToHex, personalSign, publicKeyOf, type Link,
} from '../../src/core/index.js';
import { post } from './daemon.js';

/** Deterministic secret key from a label, so failures reproduce. */
export function secretFrom(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`proofkeep-test:${label}`).digest());
}

export class TestAvatar {
  readonly secret: Uint8Array;
  readonly id: string;
  readonly uncompressed: string;
  readonly address: string;

  constructor(label: string) {
    this.secret = secretFrom(label);
    this.id = `0x${bytesToHex(publicKeyOf(this.secret, true))}`;
    const un = publicKeyOf(this.secret, false);
    this.uncompressed = `0x${bytesToHex(un)}`;
    this.address = addressOf(un);
  }

  sign(payload: string): string {
    return bytesToBase64(personalSign(payload, this.secret));
  }

  /** Ask the server for a payload, sign it, submit it. Returns the submit response. */
  async bind(url: string, platform: string, identity: string, opts: { action?: 'create' | 'delete'; proof_location?: string; wallet?: TestAvatar; walletOnly?: boolean } = {}) {
    const action = opts.action ?? 'create';
    const p = await post(`${url}/v1/proof/payload`, { action, platform, identity, public_key: this.id });
    if (p.status !== 200) return p;
    const extra: Record<string, string> = {};
    if (!opts.walletOnly) extra['signature'] = this.sign(p.body.sign_payload);
    if (opts.wallet) extra['wallet_signature'] = opts.wallet.sign(p.body.sign_payload);
    return post(`${url}/v1/proof`, {
      action, platform, identity, public_key: this.id, proof_location: opts.proof_location ?? '', uuid: p.body.uuid,
      created_at: p.body.created_at, extra,
    });
  }

  /** A signed link in chain-document form (for bulk import and chain tests). */
  link(fields: { prev: string | null; platform?: string; identity?: string; action?: 'create' | 'delete'; uuid: string; created_at: number; wallet?: TestAvatar; proof_location?: string | null }): Link {
    const platform = fields.platform ?? 'twitter';
    const identity = fields.identity ?? 'alice';
    const action = fields.action ?? 'create';
    const wallet = platform === 'ethereum' || platform === 'solana';
    const payload = buildSignPayload({
      action, created_at: String(fields.created_at), identity, platform, prev: fields.prev, uuid: fields.uuid,
      ...(wallet ? { persona: this.id } : {}),
    });
    return {
      prev: fields.prev, action, platform, identity, proof_location: fields.proof_location ?? null, created_at: fields.created_at,
      uuid: fields.uuid, signature: this.sign(payload), signature_payload: payload,
      extra: fields.wallet ? { wallet_signature: fields.wallet.sign(payload) } : {},
    };
  }

  /** A linear chain of n twitter links. */
  chain(n: number, start = 1_700_000_000, tag = 'c'): Link[] {
    const out: Link[] = [];
    for (let i = 0; i < n; i++) {
      const uuid = uuidFrom(`${this.id}:${tag}:${i}`);
      out.push(this.link({ prev: out[i - 1]?.signature ?? null, identity: `user${i}`, uuid, created_at: start + i }));
    }
    return out;
  }
}

export function uuidFrom(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
