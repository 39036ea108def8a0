/** Pure period-clock arithmetic of the key manager (device/keys/schedule.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cycleEnd, delayUntil, generationTime, MAX_TIMER_MS, periodEndExclusive, placeTimestamp } from '../../src/device/keys/schedule.js';
import type { FsPublicKey } from '../../src/scheme/index.js';

const cyc = (t0: bigint, T: number, delta: number): FsPublicKey => ({ t0, T, delta }) as FsPublicKey;

describe('key schedule', () => {
  it('period ends and cycle end follow t0 + m·Δ', () => {
    const pk = cyc(1000n, 8, 250);
    assert.equal(periodEndExclusive(pk, 1), 1250n);
    assert.equal(periodEndExclusive(pk, 8), cycleEnd(pk));
    assert.equal(cycleEnd(pk), 3000n);
  });

  it('generation starts at the fraction, or earlier by the lead time, never before t0 (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 50n }),
        fc.integer({ min: 2, max: 1 << 16 }),
        fc.integer({ min: 1, max: 1 << 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (t0, T, delta, fraction, lead) => {
          const pk = cyc(t0, T, delta);
          const g = generationTime(pk, fraction, lead);
          const end = cycleEnd(pk);
          assert.ok(g >= t0 && g <= end);
          assert.ok(g <= t0 + ((end - t0) * BigInt(Math.round(fraction * 1e6))) / 1_000_000n);
          if (end - BigInt(lead) >= t0) assert.ok(g <= end - BigInt(lead));
        },
      ),
    );
    assert.equal(generationTime(cyc(0n, 10, 100), 0.5, 0), 500n);
    assert.equal(generationTime(cyc(0n, 10, 100), 0.5, 800), 200n);
    assert.equal(generationTime(cyc(0n, 10, 100), 0.5, 5000), 0n);
    assert.throws(() => generationTime(cyc(0n, 10, 100), 1.5, 0), /fraction/);
    assert.throws(() => generationTime(cyc(0n, 10, 100), 0.5, -1), /leadMs/);
  });

  it('places timestamps in the active cycle, before it, in the next one, or nowhere', () => {
    const a = cyc(1000n, 4, 100);
    const n = cyc(1400n, 4, 100);
    assert.deepEqual(placeTimestamp(a, n, 999n), { kind: 'before' });
    assert.deepEqual(placeTimestamp(a, n, 1000n), { kind: 'active', m: 1 });
    assert.deepEqual(placeTimestamp(a, n, 1399n), { kind: 'active', m: 4 });
    assert.deepEqual(placeTimestamp(a, n, 1400n), { kind: 'next', m: 1 });
    assert.deepEqual(placeTimestamp(a, n, 1800n), { kind: 'none' });
    assert.deepEqual(placeTimestamp(a, null, 1400n), { kind: 'none' });
    assert.deepEqual(placeTimestamp(null, n, 1000n), { kind: 'none' });
  });

  it('clamps timer delays to [0, 2^31 − 1] ms', () => {
    assert.equal(delayUntil(5n, 10n), 0);
    assert.equal(delayUntil(15n, 10n), 5);
    assert.equal(delayUntil(1n << 40n, 0n), MAX_TIMER_MS);
  });
});
