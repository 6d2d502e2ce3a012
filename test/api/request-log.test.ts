import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { lazyChildLogger } from '../../src/api/request-log.js';

function logger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, out) as unknown as FastifyBaseLogger, lines };
}

describe('lazy per-request logger', () => {
  it('makes no child until something is logged at an enabled level, then logs with the request bindings', () => {
    const { log, lines } = logger('info');
    const child = vi.spyOn(log, 'child');
    const req = lazyChildLogger(log, { reqId: 'req-7' }, {});
    req.debug({ code: 'X' }, 'rejected'); // below the level: dropped, no child
    expect(child).not.toHaveBeenCalled();
    expect(req.level).toBe('info');
    req.error({ code: 'Y' }, 'request failed');
    req.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l['reqId'], l['msg'], l['code']])).toEqual([
      ['req-7', 'request failed', 'Y'],
      ['req-7', 'second', undefined],
    ]);
  });

  it('passes child() and a level change through to the real child', () => {
    const { log, lines } = logger('warn');
    const req = lazyChildLogger(log, { reqId: 'r' }, {});
    req.level = 'debug';
    req.debug('now on');
    req.child({ part: 'x' }).info('nested');
    expect(lines.map((l) => [l['reqId'], l['part'], l['msg']])).toEqual([
      ['r', undefined, 'now on'],
      ['r', 'x', 'nested'],
    ]);
    expect(log.level).toBe('warn');
  });
});
