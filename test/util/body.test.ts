import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLarge, readCapped } from '../../src/util/body.js';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('readCapped', () => {
  it('reads a body up to the cap', async () => {
    expect((await readCapped(chunks('ab', 'cd'), 4)).toString()).toBe('abcd');
    expect((await readCapped(null, 4)).length).toBe(0);
    const web = new Response('hello').body as unknown as AsyncIterable<Uint8Array>;
    expect((await readCapped(web, 5)).toString()).toBe('hello');
  });

  it('stops reading once the cap is passed and destroys the stream', async () => {
    let pulled = 0;
    const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(1024)); } });
    const err = await readCapped(endless, 4096).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLarge);
    expect((err as BodyTooLarge).limit).toBe(4096);
    expect(endless.destroyed).toBe(true);
    expect(pulled).toBeLessThan(16);
  });

  it('refuses a declared length over the cap before reading', async () => {
    const body = chunks('x');
    const err = await readCapped(body, 10, '11').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BodyTooLarge', declared: 11, limit: 10 });
    expect(body.destroyed).toBe(true);
    // a lying small declared length does not lift the cap
    await expect(readCapped(chunks('0123456789', 'x'), 10, '3')).rejects.toBeInstanceOf(BodyTooLarge);
  });
});
