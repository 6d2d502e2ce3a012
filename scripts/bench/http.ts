/**
 * HTTP phases of the benchmark, against a running daemon on 127.0.0.1: bulk ingest through
 * POST /v1/links, single-link ingest through POST /v1/proof with concurrent clients, and
 * open-loop read load on GET /v1/proof and GET /v1/proofchain. Every loop is bounded in count
 * and in time; all signing happens before the clock starts.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Pool } from 'undici';
import { postContent } from '../../src/api/templates.js';
import { buildSignPayload, type Link } from '../../src/core/index.js';
import type { Tweet } from '../lib/fake-platforms.js';
import { fastSign, genAvatar, genChain, seeded, uuidFrom, type GenAvatar } from '../lib/gen.js';
import { pct } from './daemon.js';

export interface Timed {
  seconds: number;
  linksPerSecond: number;
}

async function postJson(pool: Pool, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, json };
}

/** Pre-generated bulk bodies: `avatars` chains of `perAvatar` links, `perRequest` links per body. */
export function bulkBodies(avatars: number, perAvatar: number, perRequest: number, seed = 'bench-bulk'): { bodies: string[]; links: number; chains: Array<{ avatar: GenAvatar; links: Link[] }> } {
  const bytes = seeded(seed);
  const chains = Array.from({ length: avatars }, () => {
    const avatar = genAvatar(bytes);
    return { avatar, links: genChain(avatar, perAvatar, bytes, { walletEvery: 10 }) };
  });
  const all = chains.flatMap((c) => c.links.map((l) => ({ ...l, avatar: c.avatar.id })));
  const bodies: string[] = [];
  for (let i = 0; i < all.length; i += perRequest) bodies.push(JSON.stringify({ links: all.slice(i, i + perRequest) }));
  return { bodies, links: all.length, chains };
}

export async function bulkIngest(url: string, bodies: string[], links: number, concurrency: number, timeLimitMs: number): Promise<Timed & { accepted: number; rejected: number; requests: number }> {
  const pool = new Pool(url, { connections: concurrency });
  let next = 0;
  let accepted = 0;
  let rejected = 0;
  let why = '';
  const t0 = performance.now();
  const worker = async () => {
    while (next < bodies.length && performance.now() - t0 < timeLimitMs) {
      const body = bodies[next++]!;
      const res = await pool.request({ method: 'POST', path: '/v1/links', headers: { 'content-type': 'application/json' }, body });
      const json = (await res.body.json()) as { accepted?: number; rejected?: number; results?: Array<{ status?: string }> };
      if (res.statusCode !== 200) throw new Error(`POST /v1/links answered ${res.statusCode}: ${JSON.stringify(json).slice(0, 300)}`);
      accepted += json.accepted ?? 0;
      rejected += json.rejected ?? 0;
      // Why, once: a bulk run with rejections is no measurement, and the bench stops on it.
      if (json.rejected && !why) why = JSON.stringify(json.results?.filter((r) => r.status === 'rejected').slice(0, 3)).slice(0, 600);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  if (why) process.stderr.write(`bulk: links rejected, the first answer with rejections: ${why}\n`);
  if (accepted + rejected < links) throw new Error(`bulk ingest stopped by its time limit after ${accepted + rejected} of ${links} links`);
  return { seconds, linksPerSecond: accepted / seconds, accepted, rejected, requests: bodies.length };
}

/**
 * POST /v1/proof bodies for `clients` Avatars, `perClient` links each, and the tweets the fake
 * twitter serves for them (the checkers fetch each on submit). Each client is the only writer of
 * its Avatar, so the payload /v1/proof/payload would issue (prev = current head) is known in
 * advance: signing happens here, not while timing.
 */
export function proofBodies(clients: number, perClient: number, seed = 'bench-proof'): { bodies: Array<Array<Record<string, unknown>>>; tweets: Array<[string, Tweet]> } {
  const bytes = seeded(seed);
  const createdAt = Math.floor(Date.now() / 1000) - 60;
  const tweets: Array<[string, Tweet]> = [];
  const bodies = Array.from({ length: clients }, (_, c) => {
    const av = genAvatar(bytes);
    let prev: string | null = null;
    return Array.from({ length: perClient }, (_, i) => {
      const uuid = uuidFrom(bytes(16));
      const identity = `c${c}_${i}`;
      const payload = buildSignPayload({ action: 'create', created_at: String(createdAt), identity, platform: 'twitter', prev, uuid });
      const signature = fastSign(payload, av.secretKey);
      const tweetId = String(1_900_000_000_000_000_000n + BigInt(c * 100000 + i));
      const text = postContent({ platform: 'twitter', identity, avatar: av.id, signPayload: payload, uuid, createdAt: String(createdAt), prev })['default']!.replace('%SIG_BASE64%', signature);
      tweets.push([tweetId, { text, authorId: String(10_000 + c * 1000 + i), username: identity }]);
      prev = signature;
      return { action: 'create', platform: 'twitter', identity, public_key: av.id, proof_location: tweetId, uuid, created_at: String(createdAt), extra: { signature } };
    });
  });
  return { bodies, tweets };
}

/** One-link POST /v1/links bodies: `clients` Avatars, each a chain of `perClient` links sent one by one. */
export function oneLinkBodies(clients: number, perClient: number, seed = 'bench-one-link'): string[][] {
  const bytes = seeded(seed);
  return Array.from({ length: clients }, () => {
    const avatar = genAvatar(bytes);
    return genChain(avatar, perClient, bytes, { walletEvery: 10 }).map((l) => JSON.stringify({ links: [{ ...l, avatar: avatar.id }] }));
  });
}

/**
 * Concurrent clients, each sending its own bodies in order (a chain's links depend on the
 * previous one): POST /v1/proof answering 201, or one-link POST /v1/links answering 200 with
 * `accepted: 1`.
 */
export async function singleIngest(url: string, perClientBodies: Array<Array<Record<string, unknown> | string>>, timeLimitMs: number, path: '/v1/proof' | '/v1/links' = '/v1/proof'): Promise<Timed & { accepted: number; clients: number; p50ms: number; p99ms: number }> {
  const pool = new Pool(url, { connections: perClientBodies.length });
  const lat: number[] = [];
  let accepted = 0;
  const t0 = performance.now();
  await Promise.all(
    perClientBodies.map(async (bodies) => {
      for (const body of bodies) {
        if (performance.now() - t0 > timeLimitMs) return;
        const s = performance.now();
        const r = await postJson(pool, path, body);
        lat.push(performance.now() - s);
        const ok = path === '/v1/proof' ? r.status === 201 : r.status === 200 && r.json?.accepted === 1;
        if (!ok) throw new Error(`POST ${path} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}`);
        accepted++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  lat.sort((a, b) => a - b);
  return { seconds, linksPerSecond: accepted / seconds, accepted, clients: perClientBodies.length, p50ms: round(pct(lat, 50)), p99ms: round(pct(lat, 99)) };
}

/**
 * Closed-loop GET throughput: `connections` keep-alive connections (node:http Agent; fetch costs
 * the client several times the CPU), each sending its next request when the last one is answered.
 */
export async function keepAliveThroughput(url: string, paths: string[], connections: number, seconds: number): Promise<{ path: string; connections: number; requests: number; errors: number; requestsPerSecond: number; p50ms: number; p99ms: number }> {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  let errors = 0;
  let n = 0;
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path, agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const path = paths[n++ % paths.length]!;
        const s = performance.now();
        const status = await get(path).catch(() => 0);
        lat.push(performance.now() - s);
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { path: paths[0]!.split('?')[0]!, connections, requests: lat.length, errors, requestsPerSecond: Math.round(lat.length / elapsed), p50ms: round(pct(lat, 50)), p99ms: round(pct(lat, 99)) };
}

export interface LoadResult {
  path: string;
  targetRps: number;
  achievedRps: number;
  requests: number;
  errors: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxms: number;
}

/**
 * Open-loop load: request i is due at t0 + i/rate, and its latency counts from that due time
 * (so a stalled server is not hidden by a client that waits for it). Bounded by `seconds`.
 */
export async function openLoop(url: string, paths: string[], rate: number, seconds: number, maxInFlight = 512): Promise<LoadResult> {
  const pool = new Pool(url, { connections: 64 });
  const total = Math.floor(rate * seconds);
  const lat: number[] = [];
  let errors = 0;
  let inflight = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inflight >= maxInFlight) {
      errors++; // shed: the server is far behind; counted as an error, not a latency
      continue;
    }
    inflight++;
    const path = paths[i % paths.length]!;
    // Latency counts from the due time, or from the send when the timer let it go early.
    const from = Math.max(due, performance.now());
    pending.push(
      pool
        .request({ method: 'GET', path })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) errors++;
        })
        .catch(() => {
          errors++;
        })
        .finally(() => {
          inflight--;
          lat.push(performance.now() - from);
        }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  lat.sort((a, b) => a - b);
  return {
    path: paths[0]!.split('?')[0]!,
    targetRps: rate,
    achievedRps: Math.round(lat.length / elapsed),
    requests: lat.length,
    errors,
    p50ms: round(pct(lat, 50)),
    p90ms: round(pct(lat, 90)),
    p99ms: round(pct(lat, 99)),
    maxms: round(lat[lat.length - 1] ?? NaN),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
