/**
 * Local sources: a chain document file, a directory of them, or a JSON Lines dump (one chain
 * document or one `/v1/proofchain/changes` link per line). Dumps are streamed line by line:
 * memory stays bounded by the per-Avatar head state (see stream.ts), not by the file size.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ProofError } from '../../core/index.js';
import { auditDocument } from '../document.js';
import type { AuditContext } from '../context.js';
import type { ChunkResult } from '../lines.js';
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
 * The file in chunks of whole lines (each ends with "\n", but the file's last), read into fresh
 * buffers so each can be transferred to a worker; `position` is where the chunk ends. A line
 * longer than a chunk grows the next read (doubling: a huge document line costs O(n), not O(n²)).
 */
async function* lineChunks(fh: FileHandle, size: number, signal?: AbortSignal): AsyncGenerator<{ bytes: Uint8Array; position: number }> {
  let carry = new Uint8Array(0);
  let position = 0;
  for (;;) {
    if (signal?.aborted) return;
    const want = Math.max(size, carry.length);
    const buf = new Uint8Array(carry.length + want);
    buf.set(carry);
    const { bytesRead } = await fh.read(buf, carry.length, want, null);
    position += bytesRead;
    const total = carry.length + bytesRead;
    if (bytesRead === 0) {
      if (total > 0) yield { bytes: buf.subarray(0, total), position };
      return;
    }
    const nl = buf.lastIndexOf(10, total - 1);
    if (nl < 0) {
      carry = buf.subarray(0, total);
      continue;
    }
    const rest = buf.slice(nl + 1, total); // copied out: the chunk's buffer is transferred
    yield { bytes: buf.subarray(0, nl + 1), position: position - rest.length };
    carry = rest;
  }
}

/**
 * Stream a JSON Lines dump. Lines are attacker-controlled JSON; a bad line is one problem. The
 * workers parse and verify chunks of lines; this thread reads bytes and applies the results in
 * input order, a bounded number of chunks ahead.
 */
export async function auditJsonLines(path: string, ctx: AuditContext): Promise<void> {
  const summary = ctx.report.beginSource(path, 'file');
  const size = (await stat(path)).size;
  const progress = ctx.progress.start(path, size);
  const links = new LinkStreamAuditor(ctx.report, summary, {
    backend: ctx.backend,
    window: ctx.window,
    onDocument: (text, line) => auditDocument(JSON.parse(text), ctx, ctx.report, summary, line),
  });
  let fh: FileHandle | null = null;
  try {
    const pool = await ctx.lines();
    fh = await open(path, 'r');
    const queue: Array<{ result: Promise<ChunkResult>; position: number }> = [];
    let nextLine = 1;
    const applyOldest = async () => {
      const { result, position } = queue.shift()!;
      const r = await result;
      links.apply(r, nextLine);
      nextLine += r.lines;
      progress.tick(r.links, position);
    };
    for await (const { bytes, position } of lineChunks(fh, ctx.config.chunkBytes, ctx.signal)) {
      const result = pool.run(bytes);
      result.catch(() => undefined); // awaited in order below; not unhandled meanwhile
      queue.push({ result, position });
      while (queue.length > pool.depth) await applyOldest();
    }
    while (queue.length > 0) await applyOldest();
    links.end();
  } catch (err) {
    ctx.report.error(path, err instanceof ProofError ? err.code : 'INTERNAL', (err as Error).message);
  } finally {
    await fh?.close();
    progress.done();
    ctx.report.endSource(summary);
  }
}
