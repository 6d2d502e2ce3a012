/**
 * Optional external pinning on a Kubo node through its RPC API (kubo-rpc-client): the same
 * document bytes go in as a json-codec block, so Kubo computes the same CID, and are pinned.
 * Kubo's answers are untrusted: the CID it reports must equal ours.
 */
import { create, type KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import { ProofError } from '../core/index.js';

export class KuboPinner {
  private readonly client: KuboRPCClient;

  constructor(readonly url: string, private readonly timeoutMs: number) {
    this.client = create({ url, timeout: timeoutMs });
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, t]) : t;
  }

  async pin(cid: CID, bytes: Uint8Array, outer?: AbortSignal): Promise<void> {
    let got: CID;
    try {
      got = await this.client.block.put(bytes, {
        signal: this.signal(outer),
        searchParams: { 'cid-codec': 'json', mhtype: 'sha2-256' },
      } as never);
      await this.client.pin.add(cid, { signal: this.signal(outer) });
    } catch (cause) {
      throw new ProofError('UNAVAILABLE', 'kubo: pinning failed', { cause });
    }
    if (!got.equals(cid)) throw new ProofError('UNAVAILABLE', `kubo: stored the document as ${got}, expected ${cid}`);
  }

  async unpin(cid: CID, outer?: AbortSignal): Promise<void> {
    try {
      await this.client.pin.rm(cid, { signal: this.signal(outer) });
    } catch (cause) {
      // "not pinned" is success for an unpin
      if (/not pinned/i.test(String((cause as Error)?.message))) return;
      throw new ProofError('UNAVAILABLE', 'kubo: unpin failed', { cause });
    }
  }
}
