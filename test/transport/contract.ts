/**
 * Transport contract (STYLE.md §7): every Transport runs these tests through
 * `transportContract(name, makePair)`. Loopback, TCP and TCP+TLS run it today;
 * MQTT (aedes, Mosquitto) and BLE (simulated link) will run the same file.
 *
 * `makePair({ maxFrameBytes })` must return two connected ends whose
 * `maxFrameBytes` equals the requested value, and a cleanup function.
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
}

export type MakePair = (opts: ContractPairOptions) => Promise<ContractPair>;

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

async function withPair(make: MakePair, fn: (p: ContractPair) => Promise<void>, maxFrameBytes = MAX): Promise<void> {
  const p = await make({ maxFrameBytes });
  try {
    await fn(p);
  } finally {
    await p.cleanup();
  }
}

/** Registers the contract suite for one transport. */
export function transportContract(name: string, make: MakePair): void {
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

    test('frames arrive in order, intact, in both directions', () =>
      withPair(make, async ({ a, b }) => {
        const sends: Promise<void>[] = [];
        for (let n = 0; n < 200; n++) sends.push((n % 2 ? a : b).send({ kind: 1 + (n % 200), payload: payloadFor(n, n * 7) }));
        await Promise.all(sends);
        for (let n = 0; n < 200; n++) assertFrame(await (n % 2 ? b : a).receive(), n, n * 7);
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
        for await (const f of b) {
          assertFrame(f, n, n % 9);
          if (++n === total) break;
        }
        await sender;
        assert.equal(n, total);
      }));

    test('graceful close: the peer reads every frame sent before it, then the end', () =>
      withPair(make, async ({ a, b }) => {
        for (let n = 0; n < 20; n++) void a.send({ kind: 1 + n, payload: payloadFor(n, 1000) });
        const events: unknown[] = [];
        b.on('close', (e) => events.push(e));
        await a.close();
        assert.equal(a.closed, true);
        for (let n = 0; n < 20; n++) assertFrame(await b.receive(), n, 1000);
        assert.equal(await b.receive(), undefined);
        assert.equal(await b.whenClosed(), undefined);
        assert.deepEqual(events, [undefined]);
        assert.equal(b.closed, true);
        await assert.rejects(a.send({ kind: 1, payload: new Uint8Array(1) }), (e) => isSealcamError(e, 'CONN_CLOSED'));
        await assert.rejects(b.send({ kind: 1, payload: new Uint8Array(1) }), (e) => isSealcamError(e, 'CONN_CLOSED'));
        await a.close(); // idempotent
        await b.close();
      }));

    test('error close: the local reader and events get the error, the peer closes', () =>
      withPair(make, async ({ a, b }) => {
        const pending = assert.rejects(a.receive(), (e) => isSealcamError(e, 'CONN_TIMEOUT'));
        const seen: unknown[] = [];
        a.on('error', (e) => seen.push(['error', e.code]));
        a.on('close', (e) => seen.push(['close', e?.code]));
        await a.close(transportError('CONN_TIMEOUT', 'test'));
        await pending;
        await assert.rejects(a.receive(), (e) => isSealcamError(e, 'CONN_TIMEOUT'));
        assert.deepEqual(seen, [['error', 'CONN_TIMEOUT'], ['close', 'CONN_TIMEOUT']]);
        const peerErr = await b.whenClosed();
        assert.ok(peerErr === undefined || isSealcamError(peerErr), String(peerErr));
        assert.equal(b.closed, true);
        try {
          assert.equal(await b.receive(), undefined);
        } catch (e) {
          assert.ok(isSealcamError(e), String(e));
        }
      }));

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
  });
}
