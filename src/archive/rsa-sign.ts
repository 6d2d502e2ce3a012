/**
 * Arweave transaction signing off the event loop. arweave-js signs with the synchronous
 * `crypto.createSign(...).sign()` and converts the JWK to PEM on every call: an RSA-4096 PSS
 * signature is milliseconds of CPU per chain version, on the API's thread, and a read that
 * arrives meanwhile waits. `crypto.sign` with a callback runs in libuv's thread pool instead;
 * the key is imported once. Same algorithm, padding and salt length as arweave-js (its
 * node-driver), so the signatures verify the same way.
 */
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';

interface CryptoDriver {
  sign(jwk: object, data: Uint8Array, options?: { saltLength?: number }): Promise<Uint8Array>;
}

/** `driver` with its `sign` replaced; every other method (hash, verify, …) is the driver's own. */
export function offLoopSigning<D extends CryptoDriver>(driver: D): D {
  const keys = new WeakMap<object, KeyObject>();
  const keyOf = (jwk: object): KeyObject => {
    let k = keys.get(jwk);
    if (!k) {
      k = createPrivateKey({ key: jwk as never, format: 'jwk' });
      keys.set(jwk, k);
    }
    return k;
  };
  const wrapped = Object.create(driver) as D;
  wrapped.sign = (jwk, data, { saltLength } = {}) =>
    new Promise((resolve, reject) => {
      const key = { key: keyOf(jwk), padding: constants.RSA_PKCS1_PSS_PADDING, ...(saltLength === undefined ? {} : { saltLength }) };
      sign('sha256', data, key, (err, sig) => (err ? reject(err) : resolve(sig)));
    });
  return wrapped;
}
