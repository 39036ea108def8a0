/**
 * Device life-cycle records, trusted identities, bind protocol and the
 * hash-chained life-cycle ledger (SCHEME.md §7, docs/LEDGER.md).
 */
export * from './errors.js';
export * from './messages.js';
export * from './record-spec.js';
export * from './records.js';
export * from './record-codec.js';
export * from './trust.js';
export * from './bind.js';
export * from './entry.js';
export * from './checker.js';
export * from './verify.js';
export * from './ledger.js';
export * from './file-format.js';
export * from './file-backend.js';
export * from './verify-file.js';
