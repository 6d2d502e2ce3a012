/**
 * An independent, minimal client of a C2SP tiled log, written from the spec texts only
 * (signed-note, tlog-checkpoint, tlog-tiles, tlog-proof, RFC 6962 §2.1) and sharing no code
 * with src/: SHA-256 and Ed25519 come from node:crypto, the tree is walked with the RFC's own
 * recursive definitions (not the iterative algorithms src/core uses). It knows a verifier key
 * and a base URL, nothing else.
 */
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';

const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
export const leafHashOf = (entry: Buffer): Buffer => sha(Buffer.from([0]), entry);
const node = (l: Buffer, r: Buffer): Buffer => sha(Buffer.from([1]), l, r);
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

export interface Verified {
  origin: string;
  size: number;
  root: Buffer;
}

/** `<name>+<hex id>+<base64(0x01 ‖ key)>` → the key, after checking the ID the spec recommends. */
export function parseKey(vkey: string): { name: string; id: Buffer; verify(msg: Buffer, sig: Buffer): boolean } {
  const [name, idHex, ...rest] = vkey.split('+');
  const raw = Buffer.from(rest.join('+'), 'base64');
  if (!name || raw.length !== 33 || raw[0] !== 1) throw new Error('not an Ed25519 verifier key');
  const id = sha(Buffer.from(`${name}\n`), raw).subarray(0, 4);
  if (id.toString('hex') !== idHex) throw new Error('key ID mismatch');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' });
  return { name, id, verify: (msg, sig) => edVerify(null, msg, key, sig) };
}

/** Open a checkpoint note with one trusted key. */
export function verifyCheckpoint(note: string, vkey: string): Verified {
  const key = parseKey(vkey);
  const cut = note.lastIndexOf('\n\n');
  const text = note.slice(0, cut + 1);
  const sigs = note.slice(cut + 2).split('\n').filter((l) => l !== '');
  let ok = false;
  for (const line of sigs) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`bad signature line ${line}`);
    const sig = Buffer.from(m[2]!, 'base64');
    if (m[1] !== key.name || !sig.subarray(0, 4).equals(key.id)) continue;
    if (!key.verify(Buffer.from(text, 'utf8'), sig.subarray(4))) throw new Error('bad signature by the trusted key');
    ok = true;
  }
  if (!ok) throw new Error('no signature by the trusted key');
  const [origin, size, root] = text.split('\n');
  if (origin !== key.name) throw new Error('origin is not the key name');
  return { origin, size: Number(size), root: Buffer.from(root!, 'base64') };
}

const indexPath = (n: number): string => {
  const s = String(n).padStart(3 * Math.max(1, Math.ceil(String(n).length / 3)), '0');
  const groups = s.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
};

/** Fetches tiles of one tree size over HTTP and answers hashes of its nodes. */
export class TileClient {
  private readonly tiles = new Map<string, Buffer>();
  fetched = 0;

  constructor(
    private readonly base: string,
    readonly size: number,
  ) {}

  private async tile(level: number, n: number): Promise<Buffer> {
    const full = Math.floor(this.size / 256 ** (level + 1)) > n;
    const width = full ? 256 : Math.floor(this.size / 256 ** level) % 256;
    const path = `tile/${level}/${indexPath(n)}${full ? '' : `.p/${width}`}`;
    let t = this.tiles.get(path);
    if (!t) {
      const res = await fetch(`${this.base}/${path}`);
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      t = Buffer.from(await res.arrayBuffer());
      if (t.length !== 32 * width) throw new Error(`${path}: ${t.length} bytes`);
      this.tiles.set(path, t);
      this.fetched++;
    }
    return t;
  }

  async entries(n: number): Promise<Buffer[]> {
    const full = Math.floor(this.size / 256) > n;
    const res = await fetch(`${this.base}/tile/entries/${indexPath(n)}${full ? '' : `.p/${this.size % 256}`}`);
    if (res.status !== 200) throw new Error(`entries ${n}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    const out: Buffer[] = [];
    for (let o = 0; o < body.length; ) {
      const len = body.readUInt16BE(o);
      out.push(body.subarray(o + 2, o + 2 + len));
      o += 2 + len;
    }
    return out;
  }

  /** Hash of the complete subtree of height h at position k: from a tile when h is a multiple of 8, else from its children. */
  async subtree(h: number, k: number): Promise<Buffer> {
    if (h % 8 === 0) {
      const level = h / 8;
      const t = await this.tile(level, Math.floor(k / 256));
      return t.subarray((k % 256) * 32, (k % 256) * 32 + 32);
    }
    return node(await this.subtree(h - 1, 2 * k), await this.subtree(h - 1, 2 * k + 1));
  }

  /** MTH(D[start : start+n]) by the RFC's recursive definition. */
  async mth(start: number, n: number): Promise<Buffer> {
    if (n === 0) return sha();
    if ((n & (n - 1)) === 0) return this.subtree(Math.log2(n), start / n);
    const k = split(n);
    return node(await this.mth(start, k), await this.mth(start + k, n - k));
  }

  async inclusionProof(m: number, start = 0, n = this.size): Promise<Buffer[]> {
    if (n === 1) return [];
    const k = split(n);
    return m < k ? [...(await this.inclusionProof(m, start, k)), await this.mth(start + k, n - k)] : [...(await this.inclusionProof(m - k, start + k, n - k)), await this.mth(start, k)];
  }
}

/** Root from a leaf and its audit path, by the recursive structure of PATH(m, D[n]). */
export function rootFromInclusion(m: number, n: number, leaf: Buffer, path: Buffer[]): Buffer {
  const rest = [...path];
  const walk = (mm: number, nn: number): Buffer => {
    if (nn === 1) return leaf;
    const k = split(nn);
    const sibling = rest.pop();
    if (!sibling) throw new Error('path too short');
    return mm < k ? node(walk(mm, k), sibling) : node(sibling, walk(mm - k, nn - k));
  };
  const r = walk(m, n);
  if (rest.length) throw new Error('path too long');
  return r;
}

/** Both roots from a consistency proof, by the recursive structure of SUBPROOF(m, D[n], true). */
export function rootsFromConsistency(m: number, n: number, oldRoot: Buffer, proof: Buffer[]): { old: Buffer; new: Buffer } {
  const rest = [...proof];
  const pop = (): Buffer => {
    const h = rest.pop();
    if (!h) throw new Error('proof too short');
    return h;
  };
  const walk = (mm: number, nn: number, complete: boolean): { old: Buffer; new: Buffer } => {
    if (mm === nn) {
      const h = complete ? oldRoot : pop();
      return { old: h, new: h };
    }
    const k = split(nn);
    if (mm <= k) {
      const right = pop();
      const r = walk(mm, k, complete);
      return { old: r.old, new: node(r.new, right) };
    }
    const left = pop();
    const r = walk(mm - k, nn - k, false);
    return { old: node(left, r.old), new: node(left, r.new) };
  };
  const r = walk(m, n, true);
  if (rest.length) throw new Error('proof too long');
  return r;
}

/** Parse a c2sp.org/tlog-proof@v1 text: index, path, checkpoint note. */
export function parseProofText(text: string): { index: number; path: Buffer[]; note: string } {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw new Error('not a tlog-proof');
  let i = 1;
  if (lines[i]!.startsWith('extra ')) i++;
  const index = Number(/^index (\d+)$/.exec(lines[i++]!)![1]);
  const path: Buffer[] = [];
  while (lines[i] !== '') path.push(Buffer.from(lines[i++]!, 'base64'));
  return { index, path, note: lines.slice(i + 1).join('\n') };
}
