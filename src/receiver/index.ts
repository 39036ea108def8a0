/**
 * Phone-side receiver (ARCHITECTURE.md "receiver/", docs/RECEIVER.md): verify
 * registrations and blocks, store durably, acknowledge, reassemble captures,
 * detect gaps, SaveHash batching, bundle export.
 */
export { Receiver, type DeviceSummary } from './receiver.js';
export type { SessionResult } from './session.js';
export type {
  ReceiverOptions, ReceiverEvents, ReceiverStats, CaptureEvent, CaptureHeaderInfo, RegistrationEvent, RejectionEvent,
  EvictionEvent, DeviceChainEvent,
} from './types.js';
export { makeIdentity, parseKeyFile, readKeyFile, createKeyFile, type ReceiverIdentity } from './identity.js';
export { receiverError, type ReceiverErrorCode, type ReceiverReason, type RejectReason } from './errors.js';
export { ReceiverStore, type StoredCaptureInfo } from './store.js';
export { encodeBlockFile, decodeBlockFile, type StoredBlock } from './store-codec.js';
export { ChainTracker, type ChainEvent } from './chain-tracker.js';
export { KeyRegistry, type KeyRegistryOptions, type RegisteredCycle, type RegisteredDevice, type RegVerdict } from './registry.js';
export { saveHashField, type BatchInfo, type LedgerSink } from './batcher.js';
export { assembleCapture, type AssembleResult } from './assemble.js';
export { storedBundle, bundleJson, verifyReceiverBundle, parseSaveHashField, type ReceiverBundleVerdict, type StoredCaptureParts } from './bundle.js';
export { exportBundles, type ExportOptions, type ExportedCapture } from './export.js';
export * from './savehash.js';
export * from './savehash-json.js';
export * from './savehash-state.js';
export { batchLeafHash, batchNodeHash, MAX_BATCH_SIZE, type ProofStep as SaveHashProofStep } from './savehash-merkle.js';
export { runConnectLoop, type ConnectLoopOptions } from './connect-loop.js';
export { PreviewTracker, MAX_PREVIEW_CAPTURES, type PreviewEvent } from './preview.js';
export { lockStore, type StoreLock } from './store-lock.js';
