/**
 * Whole-chain verification (SPEC §4): order links by their `prev` pointers (not array order),
 * then verify each link and the chain rule. Used by the auditor, the mirror and bulk import,
 * so that all three reach the same verdicts.
 */
import type { ErrorCode } from './errors.js';
import { ProofError } from './errors.js';
import type { AvatarKey } from './keys.js';
import type { Link } from './link.js';
import { prevKey } from './signature.js';
import { verifyLink, type VerifyOptions } from './verify.js';

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
  /** the verified prefix of `ordered`, in stored form */
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
 * Verify a whole chain. Every link after the first failing one is reported BROKEN_ANCESTOR:
 * it hangs off a link that cannot be trusted, so a mirror quarantines it too.
 */
export function verifyChain(avatar: AvatarKey, links: readonly Link[], opts: VerifyOptions): ChainResult {
  const { ordered, problems } = orderChain(links);
  const verified: Link[] = [];
  const uuids = new Set<string>();
  let broken: ChainProblem | null = null;
  ordered.forEach((link, index) => {
    const at = (code: ErrorCode, message: string): ChainProblem => ({ code, message, index, uuid: link.uuid, signature: link.signature });
    if (broken) {
      problems.push(at('BROKEN_ANCESTOR', `link follows link ${broken.index}, which failed with ${broken.code}`));
      return;
    }
    try {
      if (link.uuid !== '' && uuids.has(link.uuid)) {
        throw new ProofError('DUPLICATE_UUID', `uuid ${link.uuid} appears twice in this chain`);
      }
      const stored = verifyLink(avatar, link, opts);
      uuids.add(link.uuid);
      verified.push(stored);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      broken = at(err.code, err.message);
      problems.push(broken);
    }
  });
  return { ordered, verified, problems };
}
