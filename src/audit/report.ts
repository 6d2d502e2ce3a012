/**
 * What an audit found: problems (each naming the source, the Avatar, the link's index and uuid
 * and its stable code), fetch/usage errors, and totals. Bounded: a million-link dump full of
 * problems keeps the first `maxProblems` and counts the rest.
 */
import type { ErrorCode } from '../core/index.js';

export interface AuditProblem {
  source: string;
  /** canonical avatar id (0x + compressed), or the raw string when it is not a key */
  avatar: string;
  /** position in the Avatar's chain (or in its input sequence when `unplaced`); -1 = the whole document */
  index: number;
  uuid: string;
  code: ErrorCode;
  message: string;
  /** 1-based line of a JSON Lines dump */
  line?: number;
  /** the link could not be placed in the chain; `index` is its input position */
  unplaced?: boolean;
}

/** A source that could not be read at all (network, HTTP status, not found, unreadable file). */
export interface SourceError {
  source: string;
  code: ErrorCode;
  message: string;
}

export interface SourceSummary {
  source: string;
  kind: string;
  avatars: number;
  links: number;
  verified: number;
  problems: number;
  /** e.g. Arweave versions walked, pages read */
  notes?: Record<string, unknown>;
}

export class AuditReport {
  readonly problems: AuditProblem[] = [];
  readonly errors: SourceError[] = [];
  readonly sources: SourceSummary[] = [];
  readonly warnings: string[] = [];
  droppedProblems = 0;
  totals = { avatars: 0, links: 0, verified: 0, problems: 0 };

  constructor(private readonly maxProblems = 100_000) {}

  /** Start a per-source tally; the caller mutates the returned object. */
  beginSource(source: string, kind: string): SourceSummary {
    const s: SourceSummary = { source, kind, avatars: 0, links: 0, verified: 0, problems: 0 };
    this.sources.push(s);
    return s;
  }

  problem(summary: SourceSummary, p: Omit<AuditProblem, 'source'>): void {
    summary.problems++;
    this.totals.problems++;
    if (this.problems.length < this.maxProblems) this.problems.push({ source: summary.source, ...p });
    else this.droppedProblems++;
  }

  error(source: string, code: ErrorCode, message: string): void {
    this.errors.push({ source, code, message });
  }

  warn(message: string): void {
    if (this.warnings.length < 1000) this.warnings.push(message);
  }

  /** Fold a finished source's counters into the totals. */
  endSource(s: SourceSummary): void {
    this.totals.avatars += s.avatars;
    this.totals.links += s.links;
    this.totals.verified += s.verified;
  }

  /** 0 all verified, 1 problems found, 2 a source could not be read (the audit is incomplete). */
  exitCode(): number {
    if (this.errors.length > 0) return 2;
    return this.totals.problems > 0 ? 1 : 0;
  }

  toJSON(): Record<string, unknown> {
    return {
      ok: this.exitCode() === 0,
      totals: this.totals,
      sources: this.sources,
      problems: this.problems,
      droppedProblems: this.droppedProblems,
      errors: this.errors,
      warnings: this.warnings,
    };
  }

  /** The human summary. Values from remote sources are printed through JSON.stringify where
   * they could carry terminal escapes (attacker-controlled uuids, messages). */
  toText(): string {
    const out: string[] = [];
    for (const s of this.sources) {
      out.push(`${s.kind} ${s.source}: ${s.avatars} avatar(s), ${s.links} link(s), ${s.verified} verified, ${s.problems} problem(s)`);
    }
    for (const p of this.problems) {
      const where = p.index < 0 ? 'document' : `link ${p.index}${p.unplaced ? ' (unplaced)' : ''}`;
      const line = p.line !== undefined ? ` line ${p.line}` : '';
      out.push(`  ${p.code}  avatar ${safe(p.avatar)} ${where} uuid ${safe(p.uuid || '(none)')}${line}: ${safe(p.message)}`);
    }
    if (this.droppedProblems > 0) out.push(`  … and ${this.droppedProblems} more problem(s) not listed`);
    for (const w of this.warnings) out.push(`warning: ${safe(w)}`);
    for (const e of this.errors) out.push(`error: ${e.code} ${safe(e.source)}: ${safe(e.message)}`);
    const t = this.totals;
    const verdict = this.exitCode() === 0 ? 'OK' : this.errors.length > 0 ? 'INCOMPLETE' : 'PROBLEMS FOUND';
    out.push(`${verdict}: ${t.avatars} avatar(s), ${t.links} link(s), ${t.verified} verified, ${t.problems} problem(s), ${this.errors.length} source error(s)`);
    return out.join('\n') + '\n';
  }
}

/** Strip control characters (terminal escapes) from attacker-controlled text. */
function safe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 300);
}
