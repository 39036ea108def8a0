/**
 * Phone-side receiver (ARCHITECTURE.md "receiver/", docs/RECEIVER.md): verify
 * registrations and blocks, store durably, acknowledge, reassemble captures,
 * detect gaps, SaveHash batching, bundle export.
 */
export { Receiver, type DeviceSummary } from './receiver.js';
export type { SessionResult } from '../peer/session.js';
export type {
  ReceiverOptions, ReceiverEvents, ReceiverStats, CaptureEvent, CaptureHeaderInfo, RegistrationEvent, RejectionEvent,
  EvictionEvent, DeviceChainEvent,
} from './types.js';
export { makeIdentity, parseKeyFile, readKeyFile, createKeyFile, type ReceiverIdentity } from './identity.js';
export { receiverError, type ReceiverErrorCode, type ReceiverReason, type RejectReason } from './errors.js';
export { ReceiverStore, type StoredCaptureInfo } from './store/store.js';
export { encodeBlockFile, decodeBlockFile, type StoredBlock } from './store/codec.js';
export { ChainTracker, type ChainEvent } from './chain-tracker.js';
export { saveHashField, type BatchInfo, type LedgerSink } from './savehash/batcher.js';
export { assembleCapture, type AssembleResult } from './assemble.js';
export { storedBundle, bundleJson, type StoredCaptureParts } from './bundle.js';
export { exportBundles, type ExportOptions, type ExportedCapture } from './export.js';
export * from '../ledger/savehash/savehash.js';
export * from '../ledger/savehash/json.js';
export * from '../ledger/savehash/state.js';
export { batchLeafHash, batchNodeHash, MAX_BATCH_SIZE, type ProofStep as SaveHashProofStep } from '../ledger/savehash/merkle.js';
export { runConnectLoop, type ConnectLoopOptions } from './connect-loop.js';
export { PreviewTracker, MAX_PREVIEW_CAPTURES, type PreviewEvent } from './preview.js';
export { lockStore, type StoreLock } from './store/lock.js';
