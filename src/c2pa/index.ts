/**
 * Content Credentials (C2PA) for sealcam JPEG captures (docs/C2PA.md): write a
 * signed manifest store with the sealcam assertion, read and strip it, validate
 * it, and make the maker CA and device claim-signing certificates.
 */
export { addC2pa, buildC2paStore, embedC2paStore, type AddC2paOptions, type C2paSigner } from './write.js';
export { readC2pa, type C2paAssertion, type C2paContent, type C2paManifest } from './read.js';
export { stripC2pa, findC2paSegments, type C2paSegments } from './jpeg.js';
export { validateC2pa, type C2paFailure, type C2paValidation, type C2paValidationOptions } from './validate.js';
export { createMakerCaCertificate, issueDeviceCertificate, DEVICE_EKUS, EKU, type DeviceCertificateParams, type MakerCaParams } from './certificates.js';
export { checkCertificateChain, certificatePublicKey, ACCEPTED_EKUS, type ChainCheck, type ChainFailure, type ChainOptions, type SignerInfo } from './chain.js';
export { ACTIONS_LABEL, DATA_HASH_LABEL, DIGITAL_CAPTURE, SEALCAM_LABEL } from './assertions.js';
export type { Claim, HashedUri } from './claim.js';
export type { CoseSign1 } from './cose.js';
export type { CborValue } from './cbor.js';
export { defaultSha256, type Sha256 } from './hash.js';
export { C2PA_REASONS, C2PA_STATUS_OF, isC2paReason, type C2paReason } from './reasons.js';
