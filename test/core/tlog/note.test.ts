import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkpointText, ed25519NoteKey, formatSignerKey, formatTlogProof, generateSeed, inclusionProof, leafHash, nodeHash, openCheckpoint, openNote,
  parseCheckpoint, parseSignerKey, parseTlogProof, parseVerifierKey, signCheckpoint, signNote, TlogError, treeHash, verifyTlogProof,
  type Hash,
} from '../../../src/core/tlog/index.js';

const V = JSON.parse(readFileSync(new URL('../../vectors/tlog_vectors.json', import.meta.url), 'utf8')).note;

describe('signed notes (golang.org/x/mod/sumdb/note vectors)', () => {
  it('signs the published text with the published key to the published signature', () => {
    const signer = parseSignerKey(V.signer_key);
    expect(signer.verifierKey).toBe(V.verifier_key);
    expect(signNote(V.text, [signer])).toBe(`${V.text}\n${V.signature_line}`);
    expect(formatSignerKey(signer.name, seedOf(V.signer_key))).toBe(V.signer_key);
  });

  it('opens a note: known keys verified, unknown ones kept apart, a bad known signature rejects', () => {
    const peter = parseVerifierKey(V.verifier_key);
    const enoch = parseVerifierKey(V.other_verifier_key);
    const note = `${V.text}\n${V.signature_line}${V.other_signature_line}`;
    const one = openNote(note, [peter]);
    expect(one.text).toBe(V.text);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(openNote(note, [peter, enoch]).verified).toHaveLength(2);
    expect(() => openNote(note, [])).toThrow(/no verifiable signatures/);
    const line: string = V.signature_line;
    const broken = `${V.text}\n${line.slice(0, 60)}ABCD${line.slice(60)}`;
    expect(() => openNote(broken, [peter])).toThrow(TlogError);
    expect(() => openNote(`${V.text}x\n\n${V.signature_line}`, [peter])).toThrow(/invalid signature/);
  });

  it('rejects malformed notes and keys', () => {
    const peter = parseVerifierKey(V.verifier_key);
    for (const bad of [V.text, `${V.text}\n`, `${V.text}\n${(V.signature_line as string).slice(0, -1)}`, `\x01${V.text}\n${V.signature_line}`,
      `${V.text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${V.text}\n${V.signature_line}Unexpected line.\n`, `${V.text}\n${(V.signature_line as string).repeat(101)}`]) {
      expect(() => openNote(bad, [peter])).toThrow(TlogError);
    }
    const vkey: string = V.verifier_key;
    for (let i = 0; i < vkey.length; i++) {
      const mangled = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      expect(() => parseVerifierKey(mangled), mangled).toThrow(TlogError);
    }
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(TlogError);
    expect(() => parseVerifierKey(vkey.slice(0, -1))).toThrow(TlogError);
    expect(() => signNote('no newline', [parseSignerKey(V.signer_key)])).toThrow(TlogError);
  });
});

function seedOf(skey: string): Uint8Array {
  return new Uint8Array(Buffer.from(skey.split('+').slice(4).join('+'), 'base64')).subarray(1);
}

describe('checkpoints and tlog-proofs', () => {
  const key = ed25519NoteKey('log.example/test', generateSeed());
  const hs: Hash[] = Array.from({ length: 5 }, (_, i) => leafHash(new Uint8Array([i])));
  // complete subtrees from the leaf hashes, two children at a time
  const src = (h: number, i: number): Hash => (h === 0 ? hs[i]! : nodeHash(src(h - 1, 2 * i), src(h - 1, 2 * i + 1)));

  it('round-trips a checkpoint body and verifies its signature and origin', () => {
    const c = { origin: 'log.example/test', size: 5, root: treeHash(5, src), extensions: [] };
    const note = signCheckpoint(c, [key]);
    expect(note.startsWith(checkpointText(c))).toBe(true);
    expect(parseCheckpoint(checkpointText(c))).toEqual(c);
    expect(openCheckpoint(note, 'log.example/test', [key.verifier]).checkpoint.size).toBe(5);
    expect(() => openCheckpoint(note, 'log.example/other', [key.verifier])).toThrow(/origin/);
    expect(() => openCheckpoint(note, 'log.example/test', [ed25519NoteKey('log.example/test', generateSeed()).verifier])).toThrow(TlogError);
    for (const bad of ['o\n05\nAAAA\n', 'o\n1\n\n', 'o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n', '\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n']) {
      expect(() => parseCheckpoint(bad), bad).toThrow(TlogError);
    }
  });

  it('formats, parses and verifies a tlog-proof; a proof for another entry fails', () => {
    const c = { origin: 'log.example/test', size: 5, root: treeHash(5, src), extensions: [] };
    const text = formatTlogProof({ index: 3, proof: inclusionProof(3, 5, src), checkpoint: signCheckpoint(c, [key]) });
    expect(text.split('\n').slice(0, 2)).toEqual(['c2sp.org/tlog-proof@v1', 'index 3']);
    expect(parseTlogProof(text).proof).toHaveLength(3);
    expect(verifyTlogProof(text, new Uint8Array([3]), 'log.example/test', [key.verifier]).index).toBe(3);
    expect(() => verifyTlogProof(text, new Uint8Array([2]), 'log.example/test', [key.verifier])).toThrow(/inclusion/);
    const withExtra = formatTlogProof({ index: 3, proof: inclusionProof(3, 5, src), checkpoint: signCheckpoint(c, [key]), extra: new Uint8Array([1, 2]) });
    expect(parseTlogProof(withExtra).extra).toEqual(new Uint8Array([1, 2]));
    expect(() => parseTlogProof(text.replace('index 3', 'index 03'))).toThrow(TlogError);
  });
});
