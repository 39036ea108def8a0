/**
 * Hot-path I2OSP through a hex string written by the host's native hex codec
 * (platform/native.ts: Buffer in Node): ~8× faster than a per-byte loop for
 * 256–384-byte integers (signing, verification, key updates). Same contract
 * as platform/bytes.ts i2osp.
 */
import { native } from '../platform/native.js';

/** I2OSP(x, len) big-endian. @throws RangeError if x < 0 or x ≥ 256^len */
export function i2ospFast(x: bigint, len: number): Uint8Array {
  if (x < 0n) throw new RangeError('i2osp: negative integer');
  const hex = x.toString(16);
  if (hex.length > 2 * len) throw new RangeError(`i2osp: integer too large for ${len} bytes`);
  const b = new Uint8Array(len); // own ArrayBuffer: safe to wipe and to transfer
  native.writeHex(b, 0, hex.padStart(2 * len, '0'));
  return b;
}

/** I2OSP(x, len) written into `out` at `off`. @throws RangeError as i2ospFast */
export function writeI2osp(out: Uint8Array, off: number, x: bigint, len: number): void {
  if (x < 0n) throw new RangeError('i2osp: negative integer');
  const hex = x.toString(16);
  if (hex.length > 2 * len) throw new RangeError(`i2osp: integer too large for ${len} bytes`);
  native.writeHex(out, off, hex.padStart(2 * len, '0'));
}
