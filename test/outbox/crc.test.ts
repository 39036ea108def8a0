/** CRC-32 of parts: crc32_combine matches zlib, checksummed parts are only made by the outbox, records verify after reopen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { checksumPart, crc32Combine, ChecksummedPart, Outbox } from '../../src/outbox/index.js';
import { concat } from '../../src/platform/bytes.js';
import { blockData } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

test('crc32Combine(crc(A), crc(B), |B|) = crc(A || B)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ maxLength: 700 }), (a, b) => {
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(concat(a, b)));
  }), { numRuns: 500 });
  const big = blockData(1n, 1, 3_000_017);
  const head = Uint8Array.of(1, 2, 3);
  assert.equal(crc32Combine(crc32(head), crc32(big), big.length), crc32(concat(head, big)));
});

test('checksummed parts: combined CRC equals the CRC of the bytes; look-alikes are refused', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const box = await Outbox.open({ dir: t });
    await box.addDestination('a');
    const a = blockData(1n, 1, 5000);
    const b = blockData(1n, 2, 70_000);
    const part = box.checksum(b);
    assert.ok(part instanceof ChecksummedPart);
    assert.equal(part.crc, crc32(b));
    assert.throws(() => checksumPart('x' as unknown as Uint8Array), TypeError);
    await box.enqueue([{ seq: 1n, index: 1, destinations: ['a'], data: [a.subarray(0, 100), part, a.subarray(100)] }]);
    const fake = Object.assign(Object.create(ChecksummedPart.prototype) as object, { bytes: b, crc: 0 }) as ChecksummedPart;
    await assert.rejects(box.enqueue([{ seq: 2n, index: 1, destinations: ['a'], data: [fake] }]), /items\[0\]\.data\[0\] must be a Uint8Array or a part from checksumPart/);
    await assert.rejects(box.enqueue([{ seq: 2n, index: 1, destinations: ['a'], data: [{ bytes: b, crc: 0 } as unknown as ChecksummedPart] }]), TypeError);
    await box.close();
    const again = await Outbox.open({ dir: t });
    assert.equal(again.status().recovery.truncatedBytes, 0, 'the combined CRC verifies on the open-time scan');
    assert.deepEqual((await again.read(1n, 1)).data, concat(a.subarray(0, 100), b, a.subarray(100)));
    await again.close();
  } finally {
    removeDirSync(t);
  }
});
