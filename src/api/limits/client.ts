/**
 * Who a request is from, for limits: the TCP peer, or, when the peer is one of the operator's
 * own reverse proxies (server.trustProxy), the address that proxy reports in the configured
 * header. Every header value here is attacker-controlled: X-Forwarded-For is read from the right
 * and only through trusted hops, so a client cannot name itself someone else by prepending
 * entries, and a header from an untrusted peer is ignored altogether.
 */
import { isIP } from 'node:net';

export type ProxyHeader = 'x-forwarded-for' | 'x-real-ip';

interface Cidr {
  v6: boolean;
  bits: bigint;
  prefix: number;
}

function normalize(addr: string): string {
  let a = addr.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return (m ? m[1]! : a).toLowerCase();
}

function toBits(addr: string): { v6: boolean; bits: bigint } | null {
  const a = normalize(addr);
  const kind = isIP(a);
  if (kind === 4) return { v6: false, bits: a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (kind !== 6) return null;
  const side = (x: string): string[] => (x === '' ? [] : x.split(':'));
  // An embedded IPv4 tail (::ffff:1.2.3.4, ::1.2.3.4) counts as two groups.
  const v4tail = (groups: string[]): string[] => {
    const last = groups[groups.length - 1];
    if (!last?.includes('.')) return groups;
    const o = last.split('.').map(Number) as [number, number, number, number];
    return [...groups.slice(0, -1), ((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16)];
  };
  const gap = a.indexOf('::');
  const left = gap >= 0 ? side(a.slice(0, gap)) : v4tail(side(a));
  const right = gap >= 0 ? v4tail(side(a.slice(gap + 2))) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return { v6: true, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** Parse "10.0.0.1", "10.0.0.0/8", "fd00::/8" (throws on anything else: config is validated at start). */
export function parseCidr(spec: string): Cidr {
  const [addr, len] = spec.split('/') as [string, string | undefined];
  const b = toBits(addr);
  const max = b?.v6 ? 128 : 32;
  const prefix = len === undefined ? max : Number(len);
  if (!b || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (len !== undefined && !/^\d+$/.test(len))) throw new Error(`not an address or CIDR: ${spec}`);
  return { ...b, prefix };
}

function inCidr(c: Cidr, addr: string): boolean {
  const b = toBits(addr);
  if (!b || b.v6 !== c.v6) return false;
  const width = c.v6 ? 128 : 32;
  const shift = BigInt(width - c.prefix);
  return b.bits >> shift === c.bits >> shift;
}

export class ClientResolver {
  private readonly trusted: Cidr[];

  constructor(trustProxy: readonly string[], private readonly header: ProxyHeader) {
    this.trusted = trustProxy.map((spec) => {
      try {
        return parseCidr(spec);
      } catch (err) {
        throw new Error(`server.trustProxy: ${(err as Error).message}`);
      }
    });
  }

  isTrusted(addr: string): boolean {
    return this.trusted.some((c) => inCidr(c, addr));
  }

  /** The client's address: `peer` unless `peer` is a trusted proxy that names the client. */
  address(peer: string | undefined, headers: Record<string, string | string[] | undefined>): string {
    let addr = normalize(peer ?? '');
    if (this.trusted.length === 0 || !this.isTrusted(addr)) return addr;
    const raw = headers[this.header];
    const value = Array.isArray(raw) ? raw.join(',') : raw ?? '';
    if (this.header === 'x-real-ip') {
      const v = normalize(value);
      return isIP(v) ? v : addr;
    }
    // Walk back from the hop nearest to us; stop at the first address that is not our proxy.
    const hops = value.split(',').map(normalize).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) return addr; // garbage from further out: the last hop we trust answers for it
      addr = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    return addr;
  }
}

/**
 * The key budgets are kept under: an IPv4 address, or an IPv6 /64 (one subscriber usually holds
 * a whole /64, so per-address buckets would be free to multiply).
 */
export function budgetKey(addr: string): string {
  const b = toBits(addr);
  if (!b) return addr;
  if (!b.v6) return normalize(addr);
  const hi = b.bits >> 64n;
  return `${[48n, 32n, 16n, 0n].map((s) => ((hi >> s) & 0xffffn).toString(16)).join(':')}::/64`;
}

/** true when `host` (a listen address) only accepts connections from this machine. */
export function isLoopbackListen(host: string): boolean {
  const h = normalize(host);
  if (h === 'localhost') return true;
  const b = toBits(h);
  if (!b) return false;
  return b.v6 ? b.bits === 1n : b.bits >> 24n === 127n;
}
