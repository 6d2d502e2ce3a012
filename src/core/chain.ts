/**
 * Whole-chain verification (SPEC §4): place links by their `prev` pointers (not array order),
 * then run every link through the one judge (judge.ts) in that order, the order a mirror or an
 * import would have received them in. Used by the document auditor, and by bulk import for the
 * order of a chain document, so that documents, feeds and imports reach the same verdicts.
 */
import type { ErrorCode } from './errors.js';
import { judgeChain, type ChainView, type TimeWindow } from './judge.js';
import type { AvatarKey } from './keys.js';
import type { Link } from './link.js';
import { prevKey } from './signature.js';
import { verifyItem, type VerifyOptions } from './verify.js';

export interface ChainProblem {
  code: ErrorCode;
  message: string;
  /** position in chain order when placed, else in input order */
  index: number;
  /** true when `index` is an input position (the link could not be placed in the chain) */
  unplaced?: boolean;
  uuid: string;
  signature: string;
}

export interface ChainResult {
  /** links reachable from the genesis link, in chain order (first child wins at a fork) */
  ordered: Link[];
  /** the links the judge accepted, in judging order and stored form (the chain as stored) */
  verified: Link[];
  problems: ChainProblem[];
}

/** Order links by prev pointers; links that cannot be placed are returned with a problem. */
/** Links (or KV writes mapped to prev/signature/uuid) ordered by their prev pointers. */
export type Chained = Pick<Link, 'prev' | 'signature' | 'uuid'>;

export function orderChain<T extends Chained>(links: readonly T[]): { ordered: T[]; problems: ChainProblem[] } {
  // A symbol, not a string: any string can be an (attacker-chosen) prev value.
  const GENESIS = Symbol('genesis');
  const children = new Map<string | symbol, number[]>();
  links.forEach((l, i) => {
    const k = l.prev === null ? GENESIS : prevKey(l.prev);
    const list = children.get(k);
    if (list) list.push(i);
    else children.set(k, [i]);
  });
  const problems: ChainProblem[] = [];
  const placed = new Set<number>();
  const ordered: T[] = [];
  const problem = (code: ErrorCode, message: string, i: number, unplaced = true) => {
    const l = links[i]!;
    problems.push({ code, message, index: i, unplaced, uuid: l.uuid, signature: l.signature });
  };
  let key: string | symbol | null = GENESIS;
  while (key !== null) {
    const next: number[] = (children.get(key) ?? []).filter((i) => !placed.has(i));
    if (next.length === 0) break;
    const [first, ...rest] = next as [number, ...number[]];
    for (const i of rest) problem('FORK', 'a second link claims the same prev', i);
    for (const i of rest) placed.add(i);
    placed.add(first);
    ordered.push(links[first]!);
    // An empty signature cannot be pointed at: whatever claims it as prev cannot be placed.
    key = links[first]!.signature === '' ? null : prevKey(links[first]!.signature);
  }
  // An unplaced link whose prev names another link of the input (one that could not be placed,
  // lost a fork, or has an empty signature) hangs off a failed link: BROKEN_ANCESTOR, like the
  // descendants of a link that fails verification. Only a link whose prev names no link at all
  // is the PREV_MISMATCH that broke the chain.
  const signers = new Map<string, number[]>();
  links.forEach((l, i) => {
    const k = prevKey(l.signature);
    const list = signers.get(k);
    if (list) list.push(i);
    else signers.set(k, [i]);
  });
  links.forEach((l, i) => {
    if (placed.has(i)) return;
    const parents = l.prev === null ? [] : (signers.get(prevKey(l.prev)) ?? []).filter((j) => j !== i);
    if (parents.length > 0) problem('BROKEN_ANCESTOR', 'link hangs off a link that could not be placed or has an empty signature', i);
    else problem('PREV_MISMATCH', 'prev points at no link of this chain', i);
  });
  return { ordered, problems };
}

/**
 * The order a chain's links are judged in: the placed chain (genesis first, first child wins at
 * a fork), then the links that could not be placed, in input order except that a link comes
 * after any link of the input it names as prev (so what hangs off a rejected link is known to
 * hang off it). Returns input positions.
 */
export function judgingOrder(links: readonly Link[], ordered: readonly Link[] = orderChain(links).ordered): number[] {
  const pos = new Map<Link, number[]>();
  links.forEach((l, i) => {
    const list = pos.get(l);
    if (list) list.push(i);
    else pos.set(l, [i]);
  });
  const out: number[] = [];
  const done = new Uint8Array(links.length);
  for (const l of ordered) {
    const i = pos.get(l)!.shift()!;
    done[i] = 1;
    out.push(i);
  }
  if (out.length === links.length) return out;
  const bySignature = new Map<string, number>();
  links.forEach((l, i) => {
    const k = prevKey(l.signature);
    if (!done[i] && !bySignature.has(k)) bySignature.set(k, i);
  });
  for (let i = 0; i < links.length; i++) {
    if (done[i]) continue;
    // Walk up through not-yet-emitted parents (iteratively: inputs are attacker-sized), then
    // emit top-down. `done` also marks the walk, so a cycle ends it.
    const path: number[] = [];
    let j: number | undefined = i;
    while (j !== undefined && !done[j]) {
      done[j] = 1;
      path.push(j);
      const prev: string | null = links[j]!.prev;
      j = prev === null ? undefined : bySignature.get(prevKey(prev));
    }
    for (let k = path.length - 1; k >= 0; k--) out.push(path[k]!);
  }
  return out;
}

export interface VerifyChainOptions extends VerifyOptions {
  /** created_at bounds (the auditor passes its clock); absent: no time check */
  window?: TimeWindow;
}

/**
 * Verify a whole chain: each link, in judging order, through the judge against the chain built
 * so far. Whatever hangs off a rejected link is BROKEN_ANCESTOR (a mirror quarantines it too).
 */
export function verifyChain(avatar: AvatarKey, links: readonly Link[], opts: VerifyChainOptions): ChainResult {
  const { ordered } = orderChain(links);
  const chainIndex = new Map<Link, number>();
  ordered.forEach((l, i) => chainIndex.set(l, i));
  const problems: ChainProblem[] = [];
  const verified: Link[] = [];
  const signatures = new Set<string>();
  const uuids = new Set<string>();
  const rejected = new Set<string>();
  const view: ChainView = {
    head: null,
    hasSignature: (k) => signatures.has(k),
    hasUuid: (u) => uuids.has(u),
    isRejected: (k) => rejected.has(k),
    ...(opts.window ? { window: opts.window } : {}),
  };
  const item = { avatar, link: links[0]!, allowLegacy: opts.allowLegacy === true };
  for (const i of judgingOrder(links, ordered)) {
    const link = links[i]!;
    const ci = chainIndex.get(link);
    const placed = ci !== undefined && ordered[ci] === link;
    if (placed) chainIndex.delete(link);
    item.link = link;
    // The judge's order, with the own verdict (a recovery) only computed when it is needed.
    const verdict = judgeChain(view, link) ?? verifyItem(item, opts.backend);
    if (verdict.ok) {
      view.head = verdict.link.signature;
      signatures.add(prevKey(verdict.link.signature));
      if (link.uuid !== '') uuids.add(link.uuid);
      verified.push(verdict.link);
      continue;
    }
    // '' too: links of the deployed service after an unsigned one carry prev ''.
    rejected.add(prevKey(link.signature));
    problems.push({
      code: verdict.code,
      message: verdict.message,
      index: placed ? ci : i,
      ...(placed ? {} : { unplaced: true }),
      uuid: link.uuid,
      signature: link.signature,
    });
  }
  return { ordered, verified, problems };
}
