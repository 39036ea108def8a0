/**
 * Storage server (ARCHITECTURE.md "server/", docs/SERVER.md): key-chain
 * registration (src/peer/key-registry.ts) with signed acknowledgements, block verification (Algorithm 5 corrected) with
 * freshness and replay cache, a durable content-addressed block store, and the
 * signed STATUS that feeds the devices' Algorithm 1.
 */
export { startStorageServer, type StorageServer, type StorageServerDeps } from './server.js';
export { serverConfigSchema, renderServerSchema, type ServerConfig } from './config-schema.js';
export { loadServerConfig, parseServerConfig, validateServerConfig, applyServerEnv, serverEnvPaths, ServerConfigError, SERVER_ENV_PREFIX } from './config.js';
export { loadOrCreateServerKey, loadServerKey, identityOf, SERVER_KEY_FILE, SERVER_KEY_CREDENTIAL, type ServerIdentity, type ServerKeyCredential } from './server-key.js';
export { BlockStore, type PutOutcome, type BlockStoreOptions } from './store.js';
export { encodeStoredBlock, decodeStoredBlock, type StoredBlock, type StoredRecord } from './store-codec.js';
export { BlockVerifier, type BlockVerdict, type VerifierDeps } from './verifier.js';
export { verifyStore, type VerifyStoreReport } from './verify-store.js';
export { ServerStats, type ServerStatsSnapshot } from './stats.js';
export { serverError, type ServerErrorCode, type ServerReason, type ServerOwnReason } from './errors.js';
