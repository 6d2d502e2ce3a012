/** proofkeep's verification core: no I/O, shared by the daemon, the auditor and the mirror. */
export * from './errors.js';
export * from './encoding.js';
export * from './payload.js';
export * from './platforms.js';
export * from './signature.js';
export * from './keys.js';
export * from './crypto.js';
export * from './link.js';
export * from './verify.js';
export * from './judge.js';
export * from './chain.js';
export * from './document.js';
export * from './convert.js';
export * from './restore.js';
export * from './subkey.js';
