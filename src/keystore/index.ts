/** Secure key storage (ARCHITECTURE.md keystore/). */
export * from './keystore.js';
export { encodeBlob, decodeBlob, BLOB_MAGIC, BLOB_VERSION, type DecodedBlob } from './blob-format.js';
export { parseKeyMaterial, loadCredentialKey, CREDENTIAL_NAME, type CredentialSource } from './credential-key.js';
export { FileKeyStore, KEYSTORE_FILES, type FileKeyStoreOptions } from './file-store.js';
export { MemoryKeyStore, type MemoryBlob } from './memory-store.js';
export { encodeDeviceKey, decodeDeviceKey, encodeMeta, decodeMeta } from './records.js';
