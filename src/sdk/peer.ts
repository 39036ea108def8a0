/**
 * `sealcam/peer`: the receiving side of the key chain (SCHEME.md §7
 * "Registration"): the durable KeyRegistry that judges a device's REG
 * messages, keeps its chain and signs the witness acks, as the storage server
 * and the owner's receiver use it.
 */
export { KeyRegistry, MAX_FORK_EVIDENCE } from '../peer/key-registry.js';
export type { KeyRegistryOptions, PeerIdentity, RegisteredCycle, RegistrationOutcome } from '../peer/key-registry.js';
export type { ChainAck, ChainKey, ChainLink, KeyChain } from '../chain/links.js';
export { decodeKeyRegistration, encodeKeyRegistration } from '../chain/registration.js';
export type { KeyRegistration } from '../chain/registration.js';
export type { TrustedKey } from '../ledger/trust.js';
