/** The one backoff (src/platform/backoff.ts) and the one reconnect loop (src/platform/reconnect.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Backoff, backoffDelay, jitterFraction, resolveBackoff } from '../../src/platform/backoff.js';
import { runReconnectLoop } from '../../src/platform/reconnect.js';
import { SeededRng } from '../../src/platform/rng.js';
import { ManualClock } from '../../src/platform/clock.js';
import { transportError } from '../../src/transport/errors.js';

test('backoffDelay: exponential, equal jitter in [base/2, base), capped by maxMs', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2 };
  assert.equal(backoffDelay(0, o, 0), 50);
  assert.equal(backoffDelay(0, o, 0.999999), 99);
  assert.equal(backoffDelay(3, o, 0.5), 600);
  assert.equal(backoffDelay(500, o, 0), 500, 'capped, no overflow at large attempts');
  fc.assert(fc.property(fc.nat(1000), fc.double({ min: 0, max: 0.999999, noNaN: true }), (a, f) => {
    const d = backoffDelay(a, o, f);
    const base = Math.min(1000, 100 * 2 ** Math.min(a, 64));
    return d >= base / 2 && d < base;
  }));
  assert.throws(() => backoffDelay(-1, o, 0), /attempt/);
  assert.throws(() => backoffDelay(0, o, 1), /fraction/);
  assert.throws(() => resolveBackoff({ initialMs: 10, maxMs: 5 }), /maxMs/);
  assert.throws(() => resolveBackoff({ factor: 11 }, 'x'), /x\.factor/);
});

test('jitterFraction is in [0, 1) and deterministic for a seeded Rng; Backoff counts, grows and resets', () => {
  for (let k = 0; k < 200; k++) {
    const f = jitterFraction(new SeededRng(`f${k}`));
    assert.ok(f >= 0 && f < 1);
  }
  assert.equal(jitterFraction(new SeededRng('same')), jitterFraction(new SeededRng('same')));
  const b = new Backoff({ initialMs: 100, maxMs: 800 }, new SeededRng('b'));
  const seen = Array.from({ length: 6 }, () => b.next());
  seen.forEach((d, k) => {
    const base = Math.min(800, 100 * 2 ** k);
    assert.ok(d >= base / 2 && d < base, `attempt ${k}: ${d}`);
  });
  assert.equal(b.failures, 6);
  b.reset();
  const first = b.next();
  assert.ok(first >= 50 && first < 100, 'after a reset the first delay again');
});

test('reconnect loop: retries failed dials with growing delays, resets after a session with progress, stops on abort', async () => {
  const clock = new ManualClock(0n);
  const ac = new AbortController();
  const events: string[] = [];
  let dials = 0;
  const delays: number[] = [];
  const loop = runReconnectLoop<{ id: number }>({
    signal: ac.signal, clock, rng: new SeededRng('loop'), backoff: { initialMs: 100, maxMs: 10_000 },
    dial: async () => {
      dials++;
      if (dials <= 3 || dials === 5) throw transportError('CONNECT_FAILED', 'refused');
      return { id: dials };
    },
    session: async (c) => {
      events.push(`session ${c.id}`);
      return c.id === 4; // the first session made progress, the later ones not
    },
    close: async () => {},
    onDialFailed: (code, _e, ms) => {
      events.push(`dial failed ${code}`);
      delays.push(ms);
    },
    onSessionEnded: (ms) => delays.push(ms),
  });
  const until = async (n: number): Promise<void> => {
    for (let k = 0; k < 1000 && delays.length < n; k++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(50);
    }
  };
  await until(7);
  ac.abort();
  await loop;
  assert.deepEqual(events.slice(0, 6), ['dial failed CONNECT_FAILED', 'dial failed CONNECT_FAILED', 'dial failed CONNECT_FAILED', 'session 4', 'dial failed CONNECT_FAILED', 'session 6']);
  // Three failures: 100, 200, 400 nominal; the session with progress resets: then 100, 200, 400 again.
  const bases = [100, 200, 400, 100, 200, 400, 800];
  delays.slice(0, 7).forEach((d, k) => assert.ok(d >= bases[k]! / 2 && d < bases[k]!, `delay ${k}: ${d} vs base ${bases[k]}`));
});
