/**
 * Local sources: a chain document file, a directory of them, or a JSON Lines dump (one chain
 * document or one `/v1/proofchain/changes` link per line). Dumps are streamed line by line:
 * memory stays bounded by the per-Avatar head state (see stream.ts), not by the file size.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord, ProofError } from '../../core/index.js';
import { auditDocument, looksLikeDocument } from '../document.js';
import type { AuditContext } from '../context.js';
import { LinkStreamAuditor } from '../stream.js';

const DOC_EXTENSIONS = /\.(json|jsonl|ndjson)$/i;

export async function auditPath(path: string, ctx: AuditContext): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    ctx.report.error(path, 'NOT_FOUND', (err as Error).message);
    return;
  }
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((n) => DOC_EXTENSIONS.test(n)).sort();
    if (names.length === 0) ctx.report.warn(`${path}: no .json/.jsonl files`);
    for (const n of names) {
      if (ctx.signal?.aborted) return;
      await auditFile(join(path, n), ctx);
    }
    return;
  }
  await auditFile(path, ctx);
}

/** First non-blank line of a file (up to 64 KiB), to tell a dump from a pretty-printed document. */
async function firstLine(path: string): Promise<string> {
  const stream = createReadStream(path, { encoding: 'utf8', start: 0, end: 65_535 });
  let text = '';
  for await (const chunk of stream) text += chunk as string;
  return text.split('\n').find((l) => l.trim() !== '') ?? '';
}

function parsesAsJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

export async function auditFile(path: string, ctx: AuditContext): Promise<void> {
  const head = await firstLine(path).catch(() => '');
  if (head !== '' && parsesAsJson(head)) return auditJsonLines(path, ctx);
  // A (pretty-printed) single document.
  const summary = ctx.report.beginSource(path, 'file');
  try {
    const text = await readFile(path, 'utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ProofError('BAD_REQUEST', 'file is neither a JSON document nor JSON Lines');
    }
    auditDocument(doc, ctx, ctx.report, summary);
  } catch (err) {
    if (!(err instanceof ProofError)) ctx.report.error(path, 'NOT_FOUND', (err as Error).message);
    else ctx.report.problem(summary, { avatar: '(unknown)', index: -1, uuid: '', code: err.code, message: err.message });
  } finally {
    ctx.report.endSource(summary);
  }
}

/**
 * The lines of a JSON Lines stream, split at "\n" only (a trailing "\r" dropped). Not readline:
 * from Node 24 on it also breaks lines at U+2028 and U+2029, which JSON allows raw inside strings.
 */
async function* jsonLines(stream: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    rest += String(chunk);
    let start = 0;
    for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n', start)) {
      yield rest.slice(start, rest[i - 1] === '\r' ? i - 1 : i);
      start = i + 1;
    }
    rest = rest.slice(start);
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** Stream a JSON Lines dump. Lines are attacker-controlled JSON; a bad line is one problem. */
export async function auditJsonLines(path: string, ctx: AuditContext): Promise<void> {
  const summary = ctx.report.beginSource(path, 'file');
  const size = (await stat(path)).size;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const progress = ctx.progress.start(path, size);
  const links = new LinkStreamAuditor(ctx.report, summary, ctx.verifier, ctx.config.batchSize, (n) => progress.tick(n, stream.bytesRead), undefined, ctx.window, ctx.signal);
  let lineNo = 0;
  try {
    for await (const line of jsonLines(stream)) {
      lineNo++;
      if (ctx.signal?.aborted) break;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        await links.flush(); // keep the report in line order
        ctx.report.problem(summary, { avatar: '(unknown)', index: -1, uuid: '', code: 'BAD_REQUEST', message: 'line is not JSON', line: lineNo });
        summary.links++;
        continue;
      }
      if (looksLikeDocument(value)) {
        await links.flush();
        auditDocument(value, ctx, ctx.report, summary, lineNo);
        progress.tick(0, stream.bytesRead);
      } else if (isRecord(value) && Array.isArray(value['links']) && value['avatar'] === undefined) {
        // a whole /v1/proofchain/changes page on one line
        for (const item of value['links'] as unknown[]) await links.push({ avatar: isRecord(item) ? item['avatar'] : undefined, item, line: lineNo });
      } else {
        await links.push({ avatar: isRecord(value) ? value['avatar'] : undefined, item: value, line: lineNo });
      }
    }
    await links.end();
  } catch (err) {
    ctx.report.error(path, err instanceof ProofError ? err.code : 'INTERNAL', (err as Error).message);
  } finally {
    stream.destroy();
    progress.done();
    ctx.report.endSource(summary);
  }
}
