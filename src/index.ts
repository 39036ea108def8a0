/**
 * sealcam SDK. Each component is a namespace, so names never clash:
 *
 *   import { scheme, dstp, receiver } from 'sealcam';
 *   const reason = dstp.verifyBundle(JSON.parse(text)).reason;
 *
 * The common jobs are also top-level here and have entry points of their own
 * that load only what they need: `sealcam/sign` (CaptureSigner),
 * `sealcam/verify` (verifyCaptureBundle, the key-chain types; no daemon
 * dependencies) and `sealcam/peer` (KeyRegistry).
 *
 * Pure cores (scheme, dstp, protocol, and the ledger's records and checks) do
 * no I/O; the ledger's file backend and the rest take injected Clock/Rng/Logger
 * seams from `platform`.
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
export { CaptureSigner, signCaptureForOutbox } from './sdk/sign.js';
export type { CaptureSignerCreateOptions, CaptureSignerOpenOptions, SignCaptureOptions, SignedBundle, SignedCapture } from './sdk/sign.js';
export { verifyCaptureBundle } from './verify/capture.js';
export type { CaptureVerdict, CaptureVerifyOptions } from './verify/capture.js';
export type { ChainTrust } from './chain/json.js';
export type { ChainAck, ChainKey, ChainLink, KeyChain } from './chain/links.js';
export { KeyRegistry } from './peer/key-registry.js';
