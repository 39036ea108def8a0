/**
 * Transport contract (STYLE.md §7): every Transport runs these tests through
 * `transportContract(name, makePair, caps)`: loopback, TCP, TCP+TLS, MQTT
 * (aedes, Mosquitto) and BLE (simulated link).
 *
 * `makePair({ maxFrameBytes })` must return two connected ends whose
 * `maxFrameBytes` equals the requested value, and a cleanup function.
 *
 * Stream links (the default {@link STREAM}) promise order, a close the peer
 * sees, and a sender held back by a stalled reader. MQTT promises none of
 * these (docs/MQTT.md): each frame is one self-contained publish, there is no
 * session to close, and the receiver keeps within one byte budget by refusing
 * (and counting) what does not fit — delivery is the outbox's and the signed
 * ACKs' job, shown by the e2e tests. Every other check is the same for all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { transportError } from '../../src/transport/errors.js';
import type { Connection, Frame } from '../../src/transport/transport.js';

export interface ContractPairOptions {
  maxFrameBytes: number;
}

export interface ContractPair {
  a: Connection;
  b: Connection;
  cleanup(): Promise<void>;
  /** `refuse` backpressure: the budget counters of `b`'s side. */
  held?(): HeldCounters;
}

export type MakePair = (opts: ContractPairOptions) => Promise<ContractPair>;

/** What a transport promises beyond the common core. */
export interface ContractCaps {
  /** Frames arrive in send order; else in any order (compared as a multiset). */
  readonly ordered: boolean;
  /** Closing one end ends the other. */
  readonly closeReachesPeer: boolean;
  /**
   * A reader that does not read: 'stall' holds the sender back; 'refuse' keeps what the
   * receiving end holds within its budget and counts the frames that did not fit (the pair
   * must then provide `held()` of `b`'s side).
   */
  readonly backpressure: 'stall' | 'refuse';
}

/** Stream links: TCP, TLS, loopback, BLE. */
export const STREAM: ContractCaps = { ordered: true, closeReachesPeer: true, backpressure: 'stall' };

/** The byte budget of the receiving end (`refuse` backpressure). */
export interface HeldCounters {
  readonly maxBytes: number;
  readonly heldBytes: number;
  readonly peakBytes: number;
  readonly admitted: number;
  readonly refused: number;
}

const MAX = 1 << 20;

/**
 * Deterministic payload for frame n: a 251-byte pseudo-random block (prime
 * period, so shifted or spliced chunks show) repeated by a native fill, with n
 * in the first 4 bytes. Cheap enough for tens of MiB.
 */
export function payloadFor(n: number, len: number): Uint8Array {
  const block = Buffer.alloc(251);
  let x = (n * 2654435761 + 1) >>> 0;
  for (let i = 0; i < block.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    block[i] = x >>> 24;
  }
  const p = new Uint8Array(len);
  if (len > 0) Buffer.from(p.buffer, p.byteOffset, p.length).fill(block);
  if (len >= 4) new DataView(p.buffer).setUint32(0, n);
  return p;
}

function assertFrame(f: Frame | undefined, n: number, len: number, kind = 1 + (n % 200)): void {
  assert.ok(f, `frame ${n} missing`);
  assert.equal(f.kind, kind, `kind of frame ${n}`);
  assert.equal(f.payload.length, len, `length of frame ${n}`);
  assert.deepEqual(Buffer.from(f.payload), Buffer.from(payloadFor(n, len)), `payload of frame ${n}`);
}

/** Multiset of frames (kind and payload) for links that do not promise order. */
function bag(frames: readonly Frame[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of frames) {
    const k = `${f.kind}:${Buffer.from(f.payload).toString('hex')}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Reads `count` frames and checks them against `expected` (in order, or as a multiset). */
async function assertFrames(conn: Connection, expected: { n: number; len: number; kind?: number }[], ordered: boolean): Promise<void> {
  if (ordered) {
    for (const e of expected) assertFrame(await conn.receive(), e.n, e.len, e.kind);
    return;
  }
  const got: Frame[] = [];
  for (let k = 0; k < expected.length; k++) {
    const f = await conn.receive();
    assert.ok(f, `frame ${k} of ${expected.length} missing`);
    got.push(f);
  }
  assert.deepEqual(bag(got), bag(expected.map((e) => ({ kind: e.kind ?? 1 + (e.n % 200), payload: payloadFor(e.n, e.len) }))));
}

async function withPair(make: MakePair, fn: (p: ContractPair) => Promise<void>, maxFrameBytes = MAX): Promise<void> {
  const p = await make({ maxFrameBytes });
  try {
    await fn(p);
  } finally {
    await p.cleanup();
  }
}

/** Registers the contract suite for one transport. */
export function transportContract(name: string, make: MakePair, caps: ContractCaps = STREAM): void {
  describe(`transport contract: ${name}`, () => {
    test('connects: both ends open with the requested frame limit', () =>
      withPair(make, async ({ a, b }) => {
        for (const c of [a, b]) {
          assert.equal(c.closed, false);
          assert.equal(c.maxFrameBytes, MAX);
          assert.equal(typeof c.id, 'string');
          assert.equal(typeof c.remote, 'string');
        }
        assert.notEqual(a.id, b.id);
      }));

    test(`frames arrive ${caps.ordered ? 'in order' : 'each once'}, intact, in both directions`, () =>
      withPair(make, async ({ a, b }) => {
        const sends: Promise<void>[] = [];
        for (let n = 0; n < 200; n++) sends.push((n % 2 ? a : b).send({ kind: 1 + (n % 200), payload: payloadFor(n, n * 7) }));
        await Promise.all(sends);
        for (const [conn, odd] of [[b, 1], [a, 0]] as const) {
          const want = Array.from({ length: 100 }, (_, k) => 2 * k + odd).map((n) => ({ n, len: n * 7 }));
          await assertFrames(conn, want, caps.ordered);
        }
      }));

    test('frames at the size limit pass; one byte more is rejected and the link survives', () =>
      withPair(make, async ({ a, b }) => {
        const recv = b.receive();
        await a.send({ kind: 1, payload: payloadFor(0, MAX - 1) });
        assertFrame(await recv, 0, MAX - 1);
        await assert.rejects(a.send({ kind: 1, payload: new Uint8Array(MAX) }), (e) => isSealcamError(e, 'FRAME_TOO_LARGE'));
        await assert.rejects(a.send({ kind: 0, payload: new Uint8Array(1) }), RangeError);
        await assert.rejects(a.send({ kind: 256, payload: new Uint8Array(1) }), RangeError);
        await a.send({ kind: 2, payload: payloadFor(2, 10) });
        assertFrame(await b.receive(), 2, 10, 2);
      }));

    test('many small frames (including empty payloads) through the async iterator', () =>
      withPair(make, async ({ a, b }) => {
        const total = 5000;
        const sender = (async () => {
          for (let n = 0; n < total; n += 100) {
            const batch: Promise<void>[] = [];
            for (let k = n; k < n + 100; k++) batch.push(a.send({ kind: 1 + (k % 200), payload: payloadFor(k, k % 9) }));
            await Promise.all(batch);
          }
        })();
        let n = 0;
        const got: Frame[] = [];
        for await (const f of b) {
          if (caps.ordered) assertFrame(f, n, n % 9);
          else got.push(f);
          if (++n === total) break;
        }
        await sender;
        assert.equal(n, total);
        if (!caps.ordered) {
          assert.deepEqual(bag(got), bag(Array.from({ length: total }, (_, k) => ({ kind: 1 + (k % 200), payload: payloadFor(k, k % 9) }))));
        }
      }));

    test(caps.closeReachesPeer ? 'graceful close: the peer reads every frame sent before it, then the end' : 'graceful close: what was sent before it arrives, the peer stays open', () =>
      withPair(make, async ({ a, b }) => {
        for (let n = 0; n < 20; n++) void a.send({ kind: 1 + n, payload: payloadFor(n, 1000) });
        const events: unknown[] = [];
        b.on('close', (e) => events.push(e));
        await a.close();
        assert.equal(a.closed, true);
        await assertFrames(b, Array.from({ length: 20 }, (_, n) => ({ n, len: 1000, kind: 1 + n })), caps.ordered);
        await assert.rejects(a.send({ kind: 1, payload: new Uint8Array(1) }), (e) => isSealcamError(e, 'CONN_CLOSED'));
        if (caps.closeReachesPeer) {
          assert.equal(await b.receive(), undefined);
          assert.equal(await b.whenClosed(), undefined);
          assert.deepEqual(events, [undefined]);
          assert.equal(b.closed, true);
        } else {
          assert.equal(b.closed, false);
          await b.close();
          assert.deepEqual(events, [undefined]);
        }
        await assert.rejects(b.send({ kind: 1, payload: new Uint8Array(1) }), (e) => isSealcamError(e, 'CONN_CLOSED'));
        await a.close(); // idempotent
        await b.close();
      }));

    test(caps.closeReachesPeer ? 'error close: the local reader and events get the error, the peer closes' : 'error close: the local reader and events get the error', () =>
      withPair(make, async ({ a, b }) => {
        const pending = assert.rejects(a.receive(), (e) => isSealcamError(e, 'CONN_TIMEOUT'));
        const seen: unknown[] = [];
        a.on('error', (e) => seen.push(['error', e.code]));
        a.on('close', (e) => seen.push(['close', e?.code]));
        await a.close(transportError('CONN_TIMEOUT', 'test'));
        await pending;
        await assert.rejects(a.receive(), (e) => isSealcamError(e, 'CONN_TIMEOUT'));
        assert.deepEqual(seen, [['error', 'CONN_TIMEOUT'], ['close', 'CONN_TIMEOUT']]);
        if (!caps.closeReachesPeer) {
          assert.equal(b.closed, false);
          return;
        }
        const peerErr = await b.whenClosed();
        assert.ok(peerErr === undefined || isSealcamError(peerErr), String(peerErr));
        assert.equal(b.closed, true);
        try {
          assert.equal(await b.receive(), undefined);
        } catch (e) {
          assert.ok(isSealcamError(e), String(e));
        }
      }));

    if (caps.backpressure === 'stall') {
      test('backpressure: a stalled reader stalls the sender, and no frame is lost', () =>
        withPair(make, async ({ a, b }) => {
          const total = 256;
          const len = 256 * 1024; // 64 MiB in all: beyond socket buffers (even 32 MiB autotuned) + inbound queue
          let sent = 0;
          const sender = (async () => {
            for (let n = 0; n < total; n++) {
              await a.send({ kind: 1 + (n % 200), payload: payloadFor(n, len) });
              sent++;
            }
          })();
          // Wait until the sender stops making progress (or finishes).
          let last = -1;
          let still = 0;
          while (sent < total && still < 5) {
            await new Promise((r) => setTimeout(r, 20));
            still = sent === last ? still + 1 : 0;
            last = sent;
          }
          assert.ok(sent < total, `sender was never held back (${sent}/${total} accepted with no reader)`);
          for (let n = 0; n < total; n++) assertFrame(await b.receive(), n, len);
          await sender;
          assert.equal(sent, total);
        }));
    } else {
      test('a stalled reader: the receiving end holds no more than its budget and counts every frame it refused', () =>
        withPair(make, async ({ a, b, held }) => {
          assert.ok(held, 'a refusing transport exposes its counters');
          const total = 256;
          const len = 256 * 1024; // 64 MiB in all, far beyond the receiving end's budget
          const before = held();
          for (let n = 0; n < total; n++) await a.send({ kind: 1 + (n % 200), payload: payloadFor(n, len) });
          // Every publish reaches the budget check: admitted (held for the reader) or refused (counted).
          while (held().admitted + held().refused - before.admitted - before.refused < total) await new Promise((r) => setTimeout(r, 20));
          const h = held();
          assert.ok(h.refused - before.refused > 0, 'frames beyond the budget were refused');
          assert.ok(h.peakBytes <= h.maxBytes, `peak ${h.peakBytes} within ${h.maxBytes}`);
          const admitted = h.admitted - before.admitted;
          assert.equal(h.heldBytes, admitted * (1 + len), 'the unread frames are what is held');
          const seen = new Set<number>();
          for (let k = 0; k < admitted; k++) {
            const f = await b.receive();
            assert.ok(f);
            const n = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0);
            assert.ok(!seen.has(n), `frame ${n} twice`);
            seen.add(n);
            assertFrame(f, n, len);
          }
          await new Promise((r) => setImmediate(r)); // the hold settles in promise callbacks
          assert.equal(held().heldBytes, 0, 'reading released every held byte');
          assert.equal(held().refused + held().admitted - before.refused - before.admitted, total);
        }));
    }
  });
}
