/**
 * SSRF guard for checkers whose host comes from the identity (activitypub `user@host`: the
 * host is attacker-controlled). Every resolved address must be public; the connection is then
 * pinned to the checked address, so a second DNS answer (rebinding) is never used.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import { GuardRefused, TransientFailure } from './failures.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const all = await dnsPromises.lookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

const V4_BLOCKS: Array<[string, number, 'loopback' | 'private']> = [
  ['0.0.0.0', 8, 'private'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'private'], // link-local, cloud metadata
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'private'],
  ['192.0.2.0', 24, 'private'],
  ['192.88.99.0', 24, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'private'],
  ['198.51.100.0', 24, 'private'],
  ['203.0.113.0', 24, 'private'],
  ['224.0.0.0', 4, 'private'], // multicast
  ['240.0.0.0', 4, 'private'], // reserved, broadcast
];

function classifyV4(ip: string): 'public' | 'loopback' | 'private' {
  const n = v4ToInt(ip);
  for (const [base, bits, kind] of V4_BLOCKS) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === ((v4ToInt(base) & mask) >>> 0)) return kind;
  }
  return 'public';
}

/** Expand an IPv6 address into 8 16-bit groups (handles :: and a trailing dotted IPv4). */
function v6Groups(ip: string): number[] {
  let s = ip.toLowerCase().split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = v4ToInt(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

function classifyV6(ip: string): 'public' | 'loopback' | 'private' {
  const g = v6Groups(ip);
  const embeddedV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g.every((x) => x === 0)) return 'private'; // ::
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback'; // ::1
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d: judge the IPv4 address
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return classifyV4(embeddedV4(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b) return classifyV4(embeddedV4(g[6]!, g[7]!)); // NAT64
  if (g[0] === 0x2002) return classifyV4(embeddedV4(g[1]!, g[2]!)); // 6to4
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80) return 'private'; // link-local fe80::/10
  if ((first & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return 'private'; // multicast
  if (first === 0x2001 && g[1] === 0x0db8) return 'private'; // documentation
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'private'; // discard
  return 'public';
}

export function classifyAddress(ip: string): 'public' | 'loopback' | 'private' {
  const v = isIP(ip);
  if (v === 4) return classifyV4(ip);
  if (v === 6) return classifyV6(ip);
  return 'private';
}

export interface GuardOptions {
  resolver: Resolver;
  allowLoopback: boolean;
  timeoutMs: number;
}

/**
 * Resolve `host` and check every address. Refusal is permanent (the identity names a host we
 * will never contact); a failed lookup is transient. Returns the address to pin.
 */
export async function resolvePublic(host: string, opts: GuardOptions): Promise<ResolvedAddress> {
  const literal = isIP(host);
  let addrs: ResolvedAddress[];
  if (literal !== 0) addrs = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    let timer: NodeJS.Timeout | undefined;
    try {
      addrs = await Promise.race([
        opts.resolver(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), opts.timeoutMs);
        }),
      ]);
    } catch (err) {
      throw new TransientFailure('DNS_ERROR', `cannot resolve ${host}: ${String((err as { code?: string }).code ?? (err as Error).message)}`, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
  if (addrs.length === 0) throw new TransientFailure('DNS_ERROR', `${host} has no addresses`);
  for (const a of addrs) {
    const kind = classifyAddress(a.address);
    if (kind === 'public' || (kind === 'loopback' && opts.allowLoopback)) continue;
    throw new GuardRefused(`${host} resolves to a ${kind} address (${a.address}); only public hosts are contacted`);
  }
  return addrs[0]!;
}

/**
 * An undici Agent whose every connection goes to `pinned`, whatever DNS says later. TLS still
 * verifies the certificate against the host name (SNI = host). Refuses any other host name.
 */
export function pinnedAgent(host: string, pinned: ResolvedAddress, connectTimeoutMs: number): Agent {
  const lookup = (hostname: string, options: { all?: boolean }, cb: (...args: unknown[]) => void): void => {
    if (hostname.toLowerCase() !== host.toLowerCase()) {
      cb(Object.assign(new Error(`refusing to connect to ${hostname}`), { code: 'EREFUSED' }));
      return;
    }
    if (options?.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  };
  return new Agent({ connect: { lookup: lookup as never, timeout: connectTimeoutMs }, connections: 2, pipelining: 1 });
}
