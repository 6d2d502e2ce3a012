/**
 * The one capped body reader. Remote bodies are attacker-controlled: a declared length over the
 * cap is refused before reading, and reading stops (the stream is cancelled by leaving the
 * iteration) as soon as the running total passes the cap, so memory stays bounded.
 */
export class BodyTooLarge extends Error {
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(declared === undefined ? `response exceeds the ${limit}-byte limit` : `response of ${declared} bytes exceeds the ${limit}-byte limit`);
    this.name = 'BodyTooLarge';
  }
}

/** Read at most `max` bytes of `body` (a web ReadableStream or a Node stream); throws BodyTooLarge. */
export async function readCapped(body: AsyncIterable<Uint8Array> | null | undefined, max: number, declaredLength?: string | number | null): Promise<Buffer> {
  const len = Number(declaredLength ?? NaN);
  if (Number.isFinite(len) && len > max) {
    await (body as { cancel?: () => Promise<void> } | null | undefined)?.cancel?.().catch(() => undefined);
    (body as { destroy?: () => void } | null | undefined)?.destroy?.();
    throw new BodyTooLarge(max, len);
  }
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) throw new BodyTooLarge(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
