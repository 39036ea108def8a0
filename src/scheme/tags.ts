/** Domain-separation tags and fixed byte strings of SCHEME.md v1. */
import { utf8 } from '../platform/bytes.js';

export const TAG_A = utf8('sealcam/irn/v1/a');
export const TAG_B = utf8('sealcam/irn/v1/b');
export const TAG_NEXT = utf8('sealcam/irn/v1/next');
export const TAG_NONCE = utf8('sealcam/irn/v1/nonce');
export const TAG_SIG = utf8('sealcam/irn/v1/sig');
export const PK_MAGIC = utf8('SCFK');
export const STATE_MAGIC = utf8('SCFS');
/** FsSignature version byte. */
export const FS_SIG_VERSION = 1;
/** FsPublicKey version byte. */
export const FS_PK_VERSION = 1;
/** Signature type byte inside ω (v1: always 0). */
export const SIG_TYPE = 0;
