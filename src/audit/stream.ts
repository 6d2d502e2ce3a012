/**
 * Streaming audit of feed links (`/v1/proofchain/changes` entries, one per dump line), with
 * bounded memory: per Avatar only a compact head state is kept for the whole run; the sets
 * needed for fork / duplicate-uuid detection live only while that Avatar's group of
 * consecutive links is being read (dumps are grouped by Avatar, a feed is in chain order).
 *
 * Per link, in input order, the core's one judge (`judgeLink`) against the Avatar's chain so
 * far: the same order and codes as submit, import and the mirror. The links' own verification
 * runs ahead in batches through the verify contract (a worker pool or the calling thread); the
 * judge then applies the verdicts in order.
 */
import {
  isRecord,
  judgeLink,
  linksFromProofchainItems,
  parsePublicKey,
  prevKey,
  ProofError,
  type AvatarKey,
  type ChainView,
  type ErrorCode,
  type Link,
  type TimeWindow,
  type VerifyItem,
  type VerifyResult,
} from '../core/index.js';
import type { BulkVerifier } from '../crypto/verifier.js';
import type { AuditReport, SourceSummary } from './report.js';

interface GroupSets {
  signatures: Set<string>;
  uuids: Set<string>;
  /** canonical signatures of links rejected in this group: whatever hangs off them is broken */
  rejected: Set<string>;
}

/** What survives for every Avatar across the whole run: O(avatars), not O(links). */
interface AvatarState {
  id: string;
  key: AvatarKey | null;
  head: string | null;
  /** links seen (input position of the next one) */
  seen: number;
  /** raw signature of the previous input link: the legacy `prev` fallback */
  lastSignature: string | null;
  sets: GroupSets | null;
  /** rejected signatures kept while the group's other sets are dropped */
  rejected: Set<string> | null;
  /** its group of consecutive links has ended (another Avatar's link came) */
  closed: boolean;
  /** its links in batches dispatched but not yet applied: its sets must live until then */
  inflight: number;
}

interface Entry {
  state: AvatarState;
  index: number;
  line: number | undefined;
  link: Link | null;
  error: { code: ErrorCode; message: string } | null;
  uuid: string;
  /** the raw signature string, so what hangs off an unreadable link is still recognised */
  rawSignature: string | null;
  verify: number; // index into the batch's verify items, or -1
}

export interface FeedEntry {
  avatar: unknown;
  item: unknown;
  line?: number;
}

export class LinkStreamAuditor {
  private readonly states = new Map<string, AvatarState>();
  private current: AvatarState | null = null;
  private pending: FeedEntry[] = [];
  /** dispatched batches in input order: verification of later ones overlaps applying earlier */
  private inflight: Array<{ entries: Entry[]; outcomes: Promise<VerifyResult[]> }> = [];
  private regrouped = 0;

  constructor(
    private readonly report: AuditReport,
    private readonly summary: SourceSummary,
    private readonly verifier: BulkVerifier,
    private readonly batchSize = 512,
    private readonly onLinks?: (n: number) => void,
    /** batches verified at once: the workers verify while this thread parses and applies */
    private readonly depth = 3,
    /** created_at bounds (the run's clock); absent: no time check */
    private readonly window?: TimeWindow,
    private readonly signal?: AbortSignal,
  ) {}

  async push(entry: FeedEntry): Promise<void> {
    this.pending.push(entry);
    if (this.pending.length >= this.batchSize) {
      this.dispatch();
      while (this.inflight.length >= this.depth) await this.applyOldest();
    }
  }

  async end(): Promise<void> {
    await this.flush();
    this.current = null;
    this.summary.avatars += this.states.size;
    if (this.regrouped > 0) {
      this.report.warn(
        `${this.summary.source}: ${this.regrouped} Avatar group(s) resumed after other Avatars' links (dump not grouped by Avatar): ` +
          'forks and duplicate uuids across the separate groups are reported as PREV_MISMATCH or not at all',
      );
    }
  }

  private stateFor(avatarRaw: unknown): AvatarState {
    let key: AvatarKey | null = null;
    try {
      key = parsePublicKey(avatarRaw, this.verifier.backend);
    } catch {
      /* reported per link below */
    }
    const id = key ? key.id : typeof avatarRaw === 'string' ? avatarRaw.slice(0, 140) : '(none)';
    if (this.current && this.current.id === id) return this.current;
    let s = this.states.get(id);
    if (s) s.key = key; // released when its group ended
    if (!s) {
      s = { id, key, head: null, seen: 0, lastSignature: null, sets: null, rejected: null, closed: false, inflight: 0 };
      this.states.set(id, s);
    } else if (s.closed) {
      this.regrouped++;
      s.closed = false;
    }
    if (this.current) this.current.closed = true;
    // The previous group keeps its sets until this batch is applied (see the end of flush()).
    s.sets ??= { signatures: new Set(), uuids: new Set(), rejected: s.rejected ?? new Set() };
    s.rejected = null;
    this.current = s;
    return s;
  }

  /** Verify and apply everything buffered (callers flush before reporting a line out of band). */
  async flush(): Promise<void> {
    this.dispatch();
    while (this.inflight.length > 0) await this.applyOldest();
  }

  /** Pass 1 of the buffered links (in order, cheap), then hand their signatures to `verify`. */
  private dispatch(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    // Pass 1 (in order, cheap): resolve Avatars, convert items to links.
    const entries: Entry[] = [];
    const items: VerifyItem[] = [];
    for (const fe of batch) {
      const state = this.stateFor(fe.avatar);
      const raw = fe.item;
      const rawSignature = isRecord(raw) && typeof raw['signature'] === 'string' ? raw['signature'] : null;
      const e: Entry = { state, index: state.seen++, line: fe.line, link: null, error: null, uuid: '', rawSignature, verify: -1 };
      e.uuid = isRecord(raw) && typeof raw['uuid'] === 'string' ? raw['uuid'].slice(0, 64) : '';
      if (!state.key) {
        e.error = { code: 'BAD_PUBLIC_KEY', message: 'avatar is not a secp256k1 public key' };
      } else {
        try {
          // prev comes from the item, else its signed payload, else (legacy) the previous link.
          e.link = linksFromProofchainItems([raw], state.lastSignature)[0]!;
          e.verify = items.push({ avatar: state.key, link: e.link, allowLegacy: true }) - 1;
        } catch (err) {
          if (!(err instanceof ProofError)) throw err;
          e.error = { code: err.code, message: err.message };
        }
      }
      state.lastSignature = e.link ? e.link.signature : rawSignature;
      state.inflight++;
      entries.push(e);
    }
    // Pass 2: signatures, possibly in parallel elsewhere. Awaited in order by applyOldest; the
    // no-op handler only keeps an early rejection from counting as unhandled meanwhile.
    const outcomes = items.length > 0 ? this.verifier.verifyLinks(items, this.signal) : Promise.resolve([]);
    outcomes.catch(() => undefined);
    this.inflight.push({ entries, outcomes });
  }

  /** Pass 3 (in order): the chain rule, for the oldest dispatched batch. */
  private async applyOldest(): Promise<void> {
    const { entries, outcomes: pending } = this.inflight.shift()!;
    const outcomes = await pending;
    for (const e of entries) {
      this.apply(e, e.verify >= 0 ? outcomes[e.verify]! : null);
      e.state.inflight--;
    }
    this.onLinks?.(entries.length);
    // Groups that ended and have nothing left in flight give up their sets: bounded memory. The
    // rejected set (bad links only, usually empty) is kept so a resumed group still sees it.
    for (const e of entries) {
      const s = e.state;
      if (s !== this.current && s.inflight === 0 && s.sets) {
        s.rejected = s.sets.rejected.size > 0 ? s.sets.rejected : null;
        s.sets = null;
        s.key = null;
      }
    }
  }

  private apply(e: Entry, outcome: VerifyResult | null): void {
    const s = e.state;
    const sets = (s.sets ??= { signatures: new Set(), uuids: new Set(), rejected: new Set() });
    this.summary.links++;
    const problem = (code: ErrorCode, message: string) => {
      this.report.problem(this.summary, {
        avatar: s.id,
        index: e.index,
        uuid: e.uuid,
        code,
        message,
        ...(e.line === undefined ? {} : { line: e.line }),
      });
      // '' too: the deployed service's links after an unsigned one carry prev ''.
      const sig = e.link ? e.link.signature : e.rawSignature;
      if (sig !== null) sets.rejected.add(prevKey(sig));
    };
    if (e.error || !e.link) return problem(e.error?.code ?? 'BAD_REQUEST', e.error?.message ?? 'unreadable link');
    const link = e.link;
    const view: ChainView = {
      head: s.head,
      hasSignature: (k) => sets.signatures.has(k),
      hasUuid: (u) => sets.uuids.has(u),
      isRejected: (k) => sets.rejected.has(k),
      ...(this.window ? { window: this.window } : {}),
    };
    const own: VerifyResult = outcome ?? { ok: false, code: 'INTERNAL', message: 'not verified' };
    const verdict = judgeLink(view, link, own);
    if (!verdict.ok) return problem(verdict.code, verdict.message);
    s.head = verdict.link.signature;
    sets.signatures.add(prevKey(verdict.link.signature));
    if (link.uuid !== '') sets.uuids.add(link.uuid);
    this.summary.verified++;
  }
}
