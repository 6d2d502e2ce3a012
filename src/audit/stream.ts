/**
 * The ordering half of the streaming dump audit: chunk results (src/audit/lines.ts: parsed and
 * verified elsewhere, in input order) are applied link by link to the Avatars' chains with the
 * core's one judge — the same order and codes as submit, import and the mirror. Memory stays
 * bounded: per Avatar only a compact head state is kept for the whole run; the sets needed for
 * fork / duplicate-uuid detection live only while that Avatar's group of consecutive links is
 * being applied (dumps are grouped by Avatar, a feed is in chain order).
 *
 * This thread never parses a feed link nor recovers a key, except for the rare legacy link
 * whose `prev` is the previous link of its Avatar in an earlier chunk (`deferred`).
 */
import {
  isRecord,
  judgePlace,
  linksFromProofchainItems,
  parsePublicKey,
  prevKey,
  ProofError,
  verifyItem,
  type ChainEntry,
  type ChainView,
  type ErrorCode,
  type RecoveryBackend,
  type TimeWindow,
} from '../core/index.js';
import { FAIL_OWN, FAIL_UNREAD, PREV_LISTED, PREV_NULL, SPECIAL_DOCUMENT, type ChunkResult } from './lines.js';
import type { AuditReport, SourceSummary } from './report.js';

interface GroupSets {
  signatures: Set<string>;
  uuids: Set<string>;
  /** prevKeys of links rejected in this group: whatever hangs off them is broken */
  rejected: Set<string>;
}

/** What survives for every Avatar across the whole run: O(avatars), not O(links). */
interface AvatarState {
  id: string;
  /** prevKey of the last accepted link's signature */
  headKey: string | null;
  /** links seen (input position of the next one) */
  seen: number;
  /** raw signature of the previous input link: the legacy `prev` fallback */
  lastSignature: string | null;
  sets: GroupSets | null;
  /** rejected keys kept while the group's other sets are dropped */
  rejected: Set<string> | null;
  /** its group of consecutive links has ended (another Avatar's link came) */
  closed: boolean;
}

interface Failure {
  stage: number;
  code: ErrorCode;
  message: string;
}

export interface StreamOptions {
  /** created_at bounds (the run's clock); absent: no time check */
  window?: TimeWindow;
  /** for deferred legacy links only */
  backend: RecoveryBackend;
  /** a chain-document line, at its place in the input (1-based line) */
  onDocument(text: string, line: number): void;
}

export class LinkStreamAuditor {
  private readonly states = new Map<string, AvatarState>();
  private cur: AvatarState | null = null;
  private sets: GroupSets = { signatures: new Set(), uuids: new Set(), rejected: new Set() };
  /** groups that ended in the chunk being applied: their sets go when it is done */
  private ended: AvatarState[] = [];
  private regrouped = 0;
  private readonly view: Omit<ChainView, 'head'>;
  /** scratch entry for the judge (it reads uuid and created_at; no isStored on this path) */
  private readonly entry: ChainEntry = { prev: null, uuid: '', created_at: 0, signature: '' };

  constructor(
    private readonly report: AuditReport,
    private readonly summary: SourceSummary,
    private readonly opts: StreamOptions,
  ) {
    this.view = {
      hasSignature: (k) => this.sets.signatures.has(k),
      hasUuid: (u) => this.sets.uuids.has(u),
      isRejected: (k) => this.sets.rejected.has(k),
      ...(opts.window ? { window: opts.window } : {}),
    };
  }

  /** Apply one chunk's results; `firstLine` is the 1-based line number of its first line. */
  apply(r: ChunkResult, firstLine: number): void {
    let run = 0;
    let special = 0;
    let fail = 0;
    let deferred = 0;
    let listed = 0;
    let prevSig: string | null = null;
    for (let j = 0; j <= r.links; j++) {
      while (special < r.specialAt.length && r.specialAt[special]! <= j) {
        this.special(r.specialKind[special]!, firstLine + r.specialLine[special]!, r.specialText[special]!);
        special++;
      }
      if (j === r.links) break;
      if (j === 0 || j === r.runEnd[run - 1]) this.enter(r.runId[run++]!);
      const s = this.cur!;
      const line = firstLine + r.line[j]!;
      const uuid = r.uuid[j]!;
      if (deferred < r.deferred.length && r.deferred[deferred] === j) {
        const d = this.resolve(s, r.deferredItem[deferred++]!);
        this.link(s, line, uuid, d.createdAt, d.prevKey, d.sigKey, d.failure);
        prevSig = d.sigKey;
      } else {
        let failure: Failure | null = null;
        if (fail < r.fail.length && r.fail[fail] === j) {
          failure = { stage: r.failStage[fail]!, code: r.failCode[fail]!, message: r.failMessage[fail]! };
          fail++;
        }
        const kind = r.prevKind[j]!;
        const pk = kind === PREV_NULL ? null : kind === PREV_LISTED ? r.prevKeys[listed++]! : prevSig;
        const sk = r.sigKey[j]!;
        this.link(s, line, uuid, r.createdAt[j]!, pk, sk, failure);
        prevSig = sk;
      }
      if (j + 1 === r.runEnd[run - 1]) {
        const last = r.runLast[run - 1];
        if (last !== undefined) s.lastSignature = last;
      }
    }
    // Groups that ended give up their sets: bounded memory. The rejected set (bad links only,
    // usually empty) is kept so a resumed group still sees it.
    for (const s of this.ended) {
      if (s !== this.cur && s.sets) {
        s.rejected = s.sets.rejected.size > 0 ? s.sets.rejected : null;
        s.sets = null;
      }
    }
    this.ended = [];
  }

  end(): void {
    this.cur = null;
    this.summary.avatars += this.states.size;
    if (this.regrouped > 0) {
      this.report.warn(
        `${this.summary.source}: ${this.regrouped} Avatar group(s) resumed after other Avatars' links (dump not grouped by Avatar): ` +
          'forks and duplicate uuids across the separate groups are reported as PREV_MISMATCH or not at all',
      );
    }
  }

  private special(kind: number, line: number, text: string): void {
    if (kind === SPECIAL_DOCUMENT) return this.opts.onDocument(text, line);
    this.report.problem(this.summary, { avatar: '(unknown)', index: -1, uuid: '', code: 'BAD_REQUEST', message: 'line is not JSON', line });
    this.summary.links++;
  }

  private enter(id: string): void {
    if (this.cur && this.cur.id === id) return;
    let s = this.states.get(id);
    if (!s) {
      s = { id, headKey: null, seen: 0, lastSignature: null, sets: null, rejected: null, closed: false };
      this.states.set(id, s);
    } else if (s.closed) {
      this.regrouped++;
      s.closed = false;
    }
    if (this.cur) {
      this.cur.closed = true;
      this.ended.push(this.cur);
    }
    s.sets ??= { signatures: new Set(), uuids: new Set(), rejected: s.rejected ?? new Set() };
    s.rejected = null;
    this.cur = s;
    this.sets = s.sets;
  }

  /** A deferred legacy link: converted with its Avatar's last signature and verified here. */
  private resolve(s: AvatarState, json: string): { createdAt: number; prevKey: string | null; sigKey: string | null; failure: Failure | null } {
    const raw: unknown = JSON.parse(json);
    const rawSignature = isRecord(raw) && typeof raw['signature'] === 'string' ? raw['signature'] : null;
    let failure: Failure | null = null;
    let link = null;
    try {
      link = linksFromProofchainItems([raw], s.lastSignature)[0]!;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      failure = { stage: FAIL_UNREAD, code: err.code, message: err.message };
    }
    if (link) {
      const own = verifyItem({ avatar: parsePublicKey(s.id, this.opts.backend), link, allowLegacy: true }, this.opts.backend);
      if (!own.ok) failure = { stage: FAIL_OWN, code: own.code, message: own.message };
    }
    const sig = link ? link.signature : rawSignature;
    s.lastSignature = sig;
    return {
      createdAt: link ? link.created_at : 0,
      prevKey: link && link.prev !== null ? prevKey(link.prev) : null,
      sigKey: sig === null ? null : prevKey(sig),
      failure,
    };
  }

  private link(s: AvatarState, line: number, uuid: string, createdAt: number, pk: string | null, sk: string | null, failure: Failure | null): void {
    const sets = this.sets;
    const index = s.seen++;
    this.summary.links++;
    let code: ErrorCode;
    let message: string;
    if (failure && failure.stage === FAIL_UNREAD) {
      code = failure.code;
      message = failure.message;
    } else {
      const e = this.entry;
      e.uuid = uuid;
      e.created_at = createdAt;
      const placed = judgePlace(this.view, pk, s.headKey, e);
      if (!placed && !failure) {
        s.headKey = sk;
        sets.signatures.add(sk!);
        if (uuid !== '') sets.uuids.add(uuid);
        this.summary.verified++;
        return;
      }
      code = placed ? placed.code : failure!.code;
      message = placed ? placed.message : failure!.message;
    }
    this.report.problem(this.summary, { avatar: s.id, index, uuid, code, message, line });
    // '' too: the deployed service's links after an unsigned one carry prev ''.
    if (sk !== null) sets.rejected.add(sk);
  }
}
