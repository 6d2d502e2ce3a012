/**
 * Verification in the page: the chain document the server sent is re-checked here with the
 * project's own core (noble backend) through the auditor's own document rules, so the page and
 * `proofkeep audit` reach the same verdicts on the same bytes. The server is not trusted.
 */
import { DEFAULT_CREATED_AT_SKEW_SECONDS, nobleBackend, orderChain, timeWindow, type Link } from '../../core/index.js';
import { auditParsedDocument, parseDocument } from '../../audit/document.js';
import { AuditReport, type AuditProblem } from '../../audit/report.js';

export interface LinkVerdict {
  link: Link;
  /** position in chain order */
  index: number;
  ok: boolean;
  problem?: AuditProblem;
}

export interface DocumentVerdict {
  /** canonical avatar id from the document, or null when its envelope did not parse */
  avatar: string | null;
  /** links in chain order (prev pointers), each with its verdict */
  chain: LinkVerdict[];
  /** links that could not be placed or parsed (input positions) */
  unplaced: AuditProblem[];
  /** problems with the whole document (index -1) */
  document: AuditProblem[];
  /** every problem, exactly as the auditor reports them */
  problems: AuditProblem[];
  verified: number;
  total: number;
  ok: boolean;
  /** current bindings implied by the verified prefix: "platform\u0000identity" */
  bindings: Set<string>;
}

export function verifyDocument(doc: unknown, source = 'page'): DocumentVerdict {
  const report = new AuditReport();
  const summary = report.beginSource(source, 'document');
  const parsed = parseDocument(doc, report, summary);
  // The auditor's judging: the core's judge, the page's clock with the default skew.
  const judging = { backend: nobleBackend, window: timeWindow(Date.now(), DEFAULT_CREATED_AT_SKEW_SECONDS) };
  const verified = parsed ? auditParsedDocument(parsed, judging, report, summary) : [];
  const problems = report.problems;
  const ordered = parsed ? orderChain(parsed.links).ordered : [];
  const placedProblems = new Map(problems.filter((p) => p.index >= 0 && !p.unplaced).map((p) => [p.index, p]));
  const chain = ordered.map((link, index) => {
    const problem = placedProblems.get(index);
    // Every link the judge does not accept is reported with a problem at its position.
    return { link, index, ok: problem === undefined, ...(problem ? { problem } : {}) };
  });
  const bindings = new Set<string>();
  for (const l of verified) {
    const key = `${l.platform}\u0000${l.identity}`;
    if (l.action === 'create') bindings.add(key);
    else bindings.delete(key);
  }
  const total = isRecordWithLinks(doc) ? doc.links.length : 0;
  return {
    avatar: parsed?.avatar.id ?? null,
    chain,
    unplaced: problems.filter((p) => p.unplaced),
    document: problems.filter((p) => p.index < 0),
    problems,
    verified: verified.length,
    total,
    ok: problems.length === 0 && parsed !== null,
    bindings,
  };
}

function isRecordWithLinks(v: unknown): v is { links: unknown[] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { links?: unknown }).links);
}
