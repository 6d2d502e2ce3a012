/**
 * How a dump worker reads a chunk (src/audit/lines.ts).
 *
 * Bytes are decoded in pieces cut after a newline: the result must be that of the chunk
 * decoded whole, whatever falls at a cut (a BOM, bytes that are not UTF-8, a CRLF, a line
 * longer than a piece).
 *
 * It reads a feed link's prev by guessing it (the Avatar's previous signature, or
 * null) and confirming the guess with the rebuilt payload, instead of parsing the payload. A
 * payload that only looks like the guess — its prev escaped, given twice, spelled another way,
 * pointing elsewhere — must take the general path and get exactly what the core gives it.
 */
import { describe, expect, it } from 'vitest';
import { auditChunk, auditChunkBytes, PREV_LISTED, PREV_NULL, type ChunkResult } from '../../src/audit/lines.js';
import {
  bytesToBase64,
  bytesToHex,
  base64ToBytes,
  linksFromProofchainItems,
  nobleBackend,
  parsePublicKey,
  prevKey,
  ProofError,
  toProofchainItem,
  verifyItem,
  type Link,
} from '../../src/core/index.js';
import { avatarOf, makeChain, secretKey, signLink, uuidFor } from './helpers.js';

const sk = secretKey('lines-guess');
const avatar = avatarOf(sk).id;
const item = (l: Link, id: number) => ({ ...toProofchainItem(l), avatar, id });

/** What the core says of each item in order, reading prev as linksFromProofchainItems does. */
function reference(items: Array<Record<string, unknown>>): Array<{ code: string | null; prevKey: string | null; sigKey: string | null }> {
  const key = parsePublicKey(avatar);
  let last: string | null = null;
  return items.map((it) => {
    let link: Link;
    try {
      link = linksFromProofchainItems([it], last)[0]!;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      last = typeof it['signature'] === 'string' ? (it['signature'] as string) : null;
      return { code: err.code, prevKey: null, sigKey: last === null ? null : prevKey(last) };
    }
    const own = verifyItem({ avatar: key, link, allowLegacy: true }, nobleBackend);
    last = link.signature;
    return { code: own.ok ? null : own.code, prevKey: link.prev === null ? null : prevKey(link.prev), sigKey: prevKey(link.signature) };
  });
}

/** The same per link, read back from a chunk result. */
function fromChunk(r: ChunkResult): Array<{ code: string | null; prevKey: string | null; sigKey: string | null }> {
  let listed = 0;
  let fail = 0;
  const out: Array<{ code: string | null; prevKey: string | null; sigKey: string | null }> = [];
  for (let j = 0; j < r.links; j++) {
    const kind = r.prevKind[j]!;
    const pk = kind === PREV_NULL ? null : kind === PREV_LISTED ? r.prevKeys[listed++]! : r.sigKey[j - 1]!;
    const code = fail < r.fail.length && r.fail[fail] === j ? r.failCode[fail++]! : null;
    out.push({ code, prevKey: pk, sigKey: r.sigKey[j]! });
  }
  return out;
}

describe('a guessed prev is only taken when the payload confirms it', () => {
  it('gives what the core gives for payloads that nearly match the guess', () => {
    const a = makeChain(sk, 4, 'g');
    const items: Array<Record<string, unknown>> = [item(a[0]!, 1)];
    // prev written with a JSON escape: it parses to the guess, but was not signed like that
    const escapedPrev = a[1]!.signature_payload.replace(`"prev":"${a[0]!.signature[0]}`, `"prev":"\\u00${a[0]!.signature.charCodeAt(0).toString(16)}`);
    expect(escapedPrev).not.toBe(a[1]!.signature_payload);
    items.push({ ...item(a[1]!, 2), signature_payload: escapedPrev });
    items.push(item(a[2]!, 3));
    // prev given twice: JSON.parse keeps the last one (the guess), the bytes are not the rebuild
    items.push({ ...item(a[3]!, 4), signature_payload: a[3]!.signature_payload.replace('"prev":', '"prev":"elsewhere","prev":') });
    // a correctly signed link whose prev is the previous signature spelled as hex with v = 27/28
    const raw = base64ToBytes(a[3]!.signature)!;
    raw[64] = raw[64]! + 27;
    const hexPrev = `0x${bytesToHex(raw)}`;
    const hexLink = signLink(sk, hexPrev, { identity: 'hexprev', uuid: uuidFor('g-hex'), created_at: 1_700_000_050 });
    items.push(item(hexLink, 5));
    // a fork: correctly signed, its prev an older signature
    const fork = signLink(sk, a[0]!.signature, { identity: 'fork', uuid: uuidFor('g-fork'), created_at: 1_700_000_060 });
    items.push(item(fork, 6));
    // prev null in the payload after other links (a second first link)
    const second = signLink(sk, null, { identity: 'second', uuid: uuidFor('g-second'), created_at: 1_700_000_070 });
    items.push(item(second, 7));
    // an item with its own prev field (which wins over the payload), contradicting the payload
    items.push({ ...item(signLink(sk, second.signature, { identity: 'own', uuid: uuidFor('g-own'), created_at: 1_700_000_080 }), 8), prev: a[2]!.signature });
    // a payload with a trailing space: the fields match, the bytes do not
    const next = signLink(sk, second.signature, { identity: 'space', uuid: uuidFor('g-space'), created_at: 1_700_000_090 });
    items.push({ ...item(next, 9), signature_payload: `${next.signature_payload} ` });
    // a malformed created_at next to a payload that the guess would rebuild
    items.push({ ...item(signLink(sk, next.signature, { identity: 'badtime', uuid: uuidFor('g-time'), created_at: 1_700_000_095 }), 10), created_at: 'soon' });

    const text = `${items.map((i) => JSON.stringify(i)).join('\n')}\n`;
    const got = fromChunk(auditChunk(text, nobleBackend));
    const want = reference(items);
    expect(got).toEqual(want);
    // The cases are what they claim: both outcomes, and the paths that differ from the guess.
    const codes = want.map((w) => w.code);
    expect(codes).toEqual([null, 'PAYLOAD_MISMATCH', null, 'PAYLOAD_MISMATCH', null, null, null, 'PAYLOAD_MISMATCH', 'PAYLOAD_MISMATCH', 'BAD_CREATED_AT']);
    expect(want[4]!.prevKey).toBe(a[3]!.signature); // the hex spelling keys as the stored form
    expect(want[5]!.prevKey).toBe(a[0]!.signature);
    expect(bytesToBase64(raw)).not.toBe(a[3]!.signature);
  });
});

describe('a chunk decoded in pieces', () => {
  it('reads as the chunk decoded whole', () => {
    const links = makeChain(sk, 120, 'p');
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    links.forEach((l, i) => {
      let line = enc.encode(JSON.stringify(item(l, i + 1)));
      // now and then a line that starts with a BOM, has bytes that are not UTF-8 before its
      // newline, ends in CRLF, is blank, or is longer than a piece
      // (line 61 starts the piece after the long line 60)
      if (i % 17 === 3 || i === 61) line = new Uint8Array([0xef, 0xbb, 0xbf, ...line]);
      if (i % 13 === 5) line = new Uint8Array([...line, 0xe2, 0x82]);
      if (i % 11 === 7) line = new Uint8Array([...line, 13]);
      if (i === 60) line = enc.encode(JSON.stringify({ ...item(l, i + 1), padding: 'x'.repeat(70_000) }));
      parts.push(line, new Uint8Array([10]));
      if (i % 19 === 9) parts.push(new Uint8Array([10]));
    });
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) (bytes.set(p, o), (o += p.length));
    expect(bytes.length).toBeGreaterThan(100_000);
    const whole = auditChunk(new TextDecoder().decode(bytes), nobleBackend);
    expect(auditChunkBytes(bytes, nobleBackend)).toEqual(whole);
    // without its last newline, too
    expect(auditChunkBytes(bytes.subarray(0, bytes.length - 1), nobleBackend)).toEqual(auditChunk(new TextDecoder().decode(bytes.subarray(0, bytes.length - 1)), nobleBackend));
    // The cases are there: BOM lines and lines with bad bytes are not JSON, the rest are links.
    expect(whole.specialKind.length).toBeGreaterThan(10);
    expect(whole.links + whole.specialKind.length).toBe(120);
    expect(whole.lines).toBeGreaterThan(120);
  });
});
