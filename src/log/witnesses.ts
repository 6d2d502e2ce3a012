/**
 * Submits each new checkpoint to the configured witnesses (C2SP tlog-witness add-checkpoint
 * over HTTP, with the project's one retry policy) and keeps the cosignature lines they return,
 * verified with each witness's key, so /checkpoint can publish the cosigned checkpoint. A 409
 * tells the witness's size: the next attempt sends a consistency proof from there.
 * Witness responses are attacker-controlled: bounded, and only verified cosignatures are kept.
 */
import type { Logger } from 'pino';
import { formatAddCheckpoint, parseCosignerKey, TlogError, verifyCosignatures, type CosignerVerifier } from '../core/tlog/index.js';
import { retry, type RetryPolicy } from '../util/retry.js';
import type { SignedCheckpoint } from './checkpointer.js';
import type { LogTree } from './tree.js';

export interface WitnessTarget {
  key: CosignerVerifier;
  url: string;
}

/** `<cosigner vkey> <base URL>` (config tlog.witnesses). */
export function parseWitnessTarget(spec: string): WitnessTarget {
  const [vkey, url, ...rest] = spec.trim().split(/\s+/);
  if (!vkey || !url || rest.length > 0 || !/^https?:\/\/\S+$/.test(url)) throw new TlogError('MALFORMED', 'a witness is "<cosigner vkey> <http(s) URL>"');
  return { key: parseCosignerKey(vkey), url: url.replace(/\/+$/, '') };
}

const POLICY: RetryPolicy = { attempts: 6, baseMs: 200, capMs: 10_000, factor: 2, jitter: 0.25 };
const MAX_RESPONSE = 16 * 1024;

export class WitnessSubmitter {
  /** per witness URL: the size it last told us it cosigned */
  private readonly known = new Map<string, number>();
  private cosigned: { size: number; lines: Map<string, string> } = { size: -1, lines: new Map() };
  private readonly controller = new AbortController();
  readonly status = new Map<string, { size: number | null; error: string | null }>();

  constructor(
    private readonly tree: LogTree,
    private readonly targets: readonly WitnessTarget[],
    private readonly log: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  /** The verified cosignature lines for checkpoint `size` ('' when none). */
  lines(size: number): string {
    return this.cosigned.size === size ? [...this.cosigned.lines.values()].join('') : '';
  }

  submit(c: SignedCheckpoint): void {
    if (c.size !== this.cosigned.size) this.cosigned = { size: c.size, lines: new Map() };
    for (const t of this.targets) {
      void retry(() => this.once(t, c), POLICY, { signal: this.controller.signal }).then(
        (line) => {
          if (this.cosigned.size === c.size) this.cosigned.lines.set(t.url, line);
          this.status.set(t.url, { size: c.size, error: null });
        },
        (err: unknown) => {
          if (this.controller.signal.aborted) return;
          this.status.set(t.url, { size: this.known.get(t.url) ?? null, error: (err as Error).message });
          this.log.warn({ witness: t.url, size: c.size, err: (err as Error).message }, 'witness did not cosign the checkpoint');
        },
      );
    }
  }

  stop(): void {
    this.controller.abort(new Error('stopping'));
  }

  private async once(t: WitnessTarget, c: SignedCheckpoint): Promise<string> {
    const old = Math.min(this.known.get(t.url) ?? 0, c.size);
    const proof = old > 0 && old < c.size ? this.tree.consistency(old, c.size) : [];
    const res = await fetch(`${t.url}/add-checkpoint`, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: formatAddCheckpoint({ oldSize: old, proof, checkpoint: c.note }),
      signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.timeoutMs)]),
    });
    const text = (await res.text()).slice(0, MAX_RESPONSE);
    if (res.status === 409 && /^(0|[1-9][0-9]{0,15})\n$/.test(text)) {
      this.known.set(t.url, Number(text)); // retried with a proof from the witness's size
      throw new Error(`witness is at size ${Number(text)}`);
    }
    if (res.status !== 200) throw new Error(`witness answered ${res.status}`);
    const { timestamps } = verifyCosignatures(`${c.note}${text}`, t.key);
    if (timestamps.length === 0) throw new Error('witness returned no cosignature of its key');
    this.known.set(t.url, c.size);
    const mine = text.split('\n').filter((l) => l.startsWith(`— ${t.key.name} `));
    return mine.map((l) => `${l}\n`).join('');
  }
}
