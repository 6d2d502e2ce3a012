/**
 * Tests never leave loopback. Loaded into every vitest worker (test/setup/loopback.ts) and, through
 * NODE_OPTIONS=--import, into every Node child process a test starts (the CLI, helpers). Any TCP/TLS
 * connect (net, tls, http, undici/fetch all end in net.Socket#connect), any UDP send or connect and
 * any DNS query for something other than 127.0.0.0/8, ::1 or "localhost" fails at once, before a
 * packet is sent: the socket is destroyed with an ERR_LOOPBACK_ONLY error (DNS: the callback or
 * promise gets it). Each refusal is recorded so the test that caused it fails even when the code
 * under test swallows the error (background dials, retries): in this process in a global list, in
 * children as a line appended to the file named by LOOPBACK_GUARD_LOG.
 *
 * Plain JavaScript on purpose: a child started with `node --import <this file>` has no TypeScript
 * loader yet.
 */
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';

const STATE = Symbol.for('proofkeep.loopbackGuard');

/** true for 127.0.0.0/8, ::1 (any spelling), ::ffff:127.x.y.z and "localhost". */
export function isLoopbackHost(host) {
  if (typeof host !== 'string') return false;
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  if (h === 'localhost' || h === 'localhost.') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (/^(0{0,4}:){2,7}0{0,3}1$/.test(h) || h === '::1') return true;
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return m !== null && m[1].startsWith('127.');
  }
  return false;
}

function state() {
  return globalThis[STATE];
}

function refuse(what) {
  const s = state();
  const err = new Error(`loopback guard: tests never leave loopback; refused ${what}`);
  err.code = 'ERR_LOOPBACK_ONLY';
  s.violations.push({ what, pid: process.pid, stack: err.stack });
  const file = process.env.LOOPBACK_GUARD_LOG;
  if (file) {
    try {
      appendFileSync(file, `${process.pid}\t${what}\n`);
    } catch {
      /* the parent cleaned up; the error still reaches the caller */
    }
  }
  return err;
}

/** Where a net.Socket#connect call goes, or null for a local IPC path. */
function tcpTarget(args) {
  let a = args[0];
  if (Array.isArray(a)) a = a[0]; // net.connect passes its normalized [options, cb]
  if (a !== null && typeof a === 'object') {
    if (a.path !== undefined && a.path !== null) return null;
    return { host: a.host || 'localhost', port: a.port };
  }
  if (typeof a === 'string' && !/^\d+$/.test(a)) return null; // IPC path
  return { host: typeof args[1] === 'string' && args[1] ? args[1] : 'localhost', port: a };
}

function guardedLookupOption(lookup, t) {
  const wrapped = function (hostname, options, cb) {
    const done = typeof options === 'function' ? options : cb;
    const next = (err, address, family) => {
      if (err) return done(err, address, family);
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const outside = list.find((a) => !isLoopbackHost(a));
      if (outside !== undefined) return done(refuse(`TCP connection to ${hostname} (${outside}):${t.port}`));
      return done(null, address, family);
    };
    return typeof options === 'function' ? lookup.call(this, hostname, next) : lookup.call(this, hostname, options, next);
  };
  wrapped[STATE] = true;
  return wrapped;
}

function install() {
  const s = { violations: [], forwarded: 0 };
  globalThis[STATE] = s;

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const t = tcpTarget(args);
    const opts = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (t && !isLoopbackHost(t.host) && !net.isIP(t.host) && typeof opts?.lookup === 'function') {
      // A caller-supplied resolver (the SSRF-pinning checkers, a test's fake DNS): no name server
      // is asked; the connection goes wherever it answers, so check that instead.
      if (!opts.lookup[STATE]) opts.lookup = guardedLookupOption(opts.lookup, t);
      s.forwarded++;
      return connect.apply(this, args);
    }
    if (t && !isLoopbackHost(t.host)) {
      const err = refuse(`TCP connection to ${t.host}:${t.port}`);
      // Fail the way a refused connection fails (async 'error' then 'close'), with no handle opened.
      process.nextTick(() => this.destroy(err));
      return this;
    }
    s.forwarded++;
    return connect.apply(this, args);
  };

  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function guardedSend(msg, ...rest) {
    // send(msg, [offset, length,] port, address, cb): find the port/address pair.
    const i = typeof rest[0] === 'number' && typeof rest[1] === 'number' && typeof rest[2] === 'number' ? 2 : 0;
    const address = typeof rest[i + 1] === 'string' ? rest[i + 1] : undefined;
    const target = typeof rest[i] === 'number' ? address ?? (this.type === 'udp6' ? '::1' : '127.0.0.1') : this.remoteAddress?.().address;
    if (!isLoopbackHost(target)) {
      const err = refuse(`UDP datagram to ${target}:${rest[i]}`);
      const cb = rest.find((x) => typeof x === 'function');
      process.nextTick(() => (cb ? cb(err) : this.emit('error', err)));
      return;
    }
    s.forwarded++;
    return send.call(this, msg, ...rest);
  };
  const udpConnect = dgram.Socket.prototype.connect;
  dgram.Socket.prototype.connect = function guardedUdpConnect(port, address, cb) {
    const host = typeof address === 'string' ? address : this.type === 'udp6' ? '::1' : '127.0.0.1';
    if (!isLoopbackHost(host)) {
      const err = refuse(`UDP connect to ${host}:${port}`);
      const done = typeof address === 'function' ? address : cb;
      process.nextTick(() => (done ? done(err) : this.emit('error', err)));
      return;
    }
    s.forwarded++;
    return udpConnect.call(this, port, address, cb);
  };

  // DNS: lookup of anything but localhost / a loopback literal, and every resolver query (they
  // all go to a name server), fail before a query is sent.
  const lookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, options, cb) {
    if (isLoopbackHost(hostname)) {
      s.forwarded++;
      return lookup.call(this, hostname, options, cb);
    }
    const done = typeof options === 'function' ? options : cb;
    const err = refuse(`DNS lookup of ${hostname}`);
    process.nextTick(() => done(err));
    return {};
  };
  const plookup = dns.promises.lookup;
  dns.promises.lookup = function guardedPromiseLookup(hostname, options) {
    if (isLoopbackHost(hostname)) {
      s.forwarded++;
      return plookup.call(this, hostname, options);
    }
    return Promise.reject(refuse(`DNS lookup of ${hostname}`));
  };
  const queries = (o) => Object.getOwnPropertyNames(o).filter((k) => /^(resolve|reverse|lookupService)/.test(k) && typeof o[k] === 'function');
  const wrapCallback = (o) => {
    for (const k of queries(o)) {
      o[k] = function guardedQuery(name, ...rest) {
        const done = [...rest].reverse().find((x) => typeof x === 'function');
        const err = refuse(`DNS ${k} of ${name}`);
        if (done) process.nextTick(() => done(err));
        else throw err;
      };
    }
  };
  const wrapPromise = (o) => {
    for (const k of queries(o)) {
      o[k] = function guardedQuery(name) {
        return Promise.reject(refuse(`DNS ${k} of ${name}`));
      };
    }
  };
  wrapCallback(dns);
  wrapCallback(dns.Resolver.prototype);
  wrapPromise(dns.promises);
  wrapPromise(dns.promises.Resolver.prototype);
  syncBuiltinESMExports();
}

if (!state()) install();

/** Refusals recorded in this process since the last call (and forgets them). */
export function takeViolations() {
  return state().violations.splice(0);
}

/** How many network calls the guard let through to Node (a test proves refusals send nothing). */
export function forwardedCount() {
  return state().forwarded;
}
