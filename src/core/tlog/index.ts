/** The verifiable log's pure parts: entry bytes, RFC 6962 hashing and proofs, tiles, signed notes, checkpoints. */
export * from './bytes.js';
export * from './errors.js';
export * from './merkle.js';
export * from './tiles.js';
export * from './note.js';
export * from './checkpoint.js';
export * from './entry.js';
export * from './memory-tree.js';
export * from './cosignature.js';
