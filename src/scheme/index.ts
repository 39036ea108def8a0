/** IR-n forward-secure block signatures (SCHEME.md §1–4): public API. */
export type { ModulusBits, FsPublicKey, FsSignature, KeygenParams } from './types.js';
export type { KeyReason, VerifyReason, SigDecodeReason, StateReason, SchemeErrorCode } from './errors.js';
export { decodeFsPublicKey, encodeFsPublicKey, fsPublicKeyLength } from './public-key.js';
export { FS_SIG_VERSION, fsSignatureLength, encodeFsSignature, decodeFsSignature } from './signature.js';
export { fsVerify } from './verify.js';
export { periodOf, periodBounds } from './period.js';
export { blockExponent, periodExponent, clearExponentCache } from './exponents.js';
export { generateKeyCycle, type KeygenOptions } from './keygen.js';
export { FsKeyState, type KeyStateOptions } from './key-state.js';
export { STATE_VERSION } from './state-codec.js';
export { verifyIrnVectorsFile, type IrnVectorResult } from './vectors.js';
