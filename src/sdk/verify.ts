/**
 * `sealcam/verify`: verifying capture bundles, pure (no daemon dependencies:
 * no config loader, logger, broker or BLE; a test keeps it so).
 *
 *   const verdict = verifyCaptureBundle(parseJsonStrict(text), { trust: readTrust(trustJson) });
 *   verdict.valid, verdict.origin, verdict.reason
 *
 * SCHEME.md §6 (integrity), §7 (key chain: origin and time), Appendix (bundle).
 */
export { verifyCaptureBundle, findForks } from '../verify/capture.js';
export type { CaptureFacts, CaptureVerdict, CaptureVerifyOptions } from '../verify/capture.js';
export { explainReason, EXPLAINED_REASONS } from '../verify/explain.js';
export type { ExplainedReason } from '../verify/explain.js';
export { bundleToJson, parseBundle, verifyBundle, writeBundle } from '../dstp/bundle.js';
export type { BundleVerdict, CaptureBundle } from '../dstp/bundle.js';
export { chainToJson, readChain, readTrust, trustToJson } from '../chain/json.js';
export type { ChainTrust } from '../chain/json.js';
export { chainForCapture, cycleEnd } from '../chain/links.js';
export type { ChainAck, ChainKey, ChainLink, FactoryProof, KeyChain } from '../chain/links.js';
export type { CheckedCycle, ChainVerdict, KeyCache } from '../chain/check.js';
export { CHAIN_REASONS, isChainReason } from '../chain/reasons.js';
export type { ChainReason } from '../chain/reasons.js';
export type { TrustedKey } from '../ledger/trust.js';
export { parseJsonStrict, JsonSyntaxError } from '../platform/strict-json.js';
export { SealcamError, isSealcamError } from '../platform/errors.js';
