/**
 * sealcam SDK. Each component is a namespace, so names never clash:
 *
 *   import { scheme, dstp, receiver } from 'sealcam';
 *   const reason = dstp.verifyBundle(JSON.parse(text)).reason;
 *
 * Pure cores (scheme, dstp, ledger, protocol) do no I/O; the rest take
 * injected Clock/Rng/Logger seams from `platform`.
 */
export * as platform from './platform/index.js';
export * as crypto from './crypto/index.js';
export * as scheme from './scheme/index.js';
export * as dstp from './dstp/index.js';
export * as ledger from './ledger/index.js';
export * as protocol from './protocol/index.js';
export * as capture from './capture/index.js';
export * as keystore from './keystore/index.js';
export * as transport from './transport/index.js';
export * as outbox from './outbox/index.js';
export * as ble from './transport/ble/index.js';
export * as receiver from './receiver/index.js';
export * as server from './server/index.js';
export { SealcamError, isSealcamError } from './platform/errors.js';
