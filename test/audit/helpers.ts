/** Test helpers: real signed chains (noble, RFC 6979), local HTTP servers, temp dirs. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  buildSignPayload,
  bytesToBase64,
  bytesToHex,
  chainDocumentString,
  parsePublicKey,
  personalSign,
  publicKeyOf,
  type AvatarKey,
  type Link,
} from '../../src/core/index.js';

export function secretKey(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`proofkeep-test:${label}`).digest());
}

export function avatarOf(sk: Uint8Array): AvatarKey {
  return parsePublicKey(`0x${bytesToHex(publicKeyOf(sk, true))}`);
}

export function uuidFor(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface LinkSpec {
  action?: 'create' | 'delete';
  identity?: string;
  uuid?: string;
  created_at?: number;
  /** override prev (default: the previous link's signature) */
  prev?: string | null;
}

/** Sign one standard twitter link. */
export function signLink(sk: Uint8Array, prev: string | null, spec: LinkSpec & { identity: string; uuid: string; created_at: number }): Link {
  const payload = buildSignPayload({
    action: spec.action ?? 'create',
    created_at: String(spec.created_at),
    identity: spec.identity,
    platform: 'twitter',
    prev,
    uuid: spec.uuid,
  });
  return {
    prev,
    action: spec.action ?? 'create',
    platform: 'twitter',
    identity: spec.identity,
    proof_location: `17${String(spec.created_at).padStart(17, '0')}`,
    created_at: spec.created_at,
    uuid: spec.uuid,
    signature: bytesToBase64(personalSign(payload, sk)),
    signature_payload: payload,
    extra: {},
  };
}

/** A valid chain of `n` links. */
export function makeChain(sk: Uint8Array, n: number, label = 'c', start = 1_700_000_000): Link[] {
  const links: Link[] = [];
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? null : links[i - 1]!.signature;
    links.push(signLink(sk, prev, { identity: `${label}_${i}`.slice(0, 15), uuid: uuidFor(`${label}:${i}`), created_at: start + i, action: i % 2 ? 'delete' : 'create' }));
  }
  return links;
}

export function documentOf(sk: Uint8Array, links: readonly Link[]): string {
  return chainDocumentString(avatarOf(sk).uncompressedHex, links);
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
  requests: string[];
}

export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function tempDir(prefix = 'pk-audit-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An io object for CLI `run()` that captures output. */
export function captureIo(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  return {
    io: { stdout, stderr, isTTY, env: {} as NodeJS.ProcessEnv },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
