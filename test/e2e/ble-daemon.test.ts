/**
 * Issue "BLE: stream signed captures to the owner's phone": the daemon
 * (in-process; the simulated radio lives in this process) with `ble.enabled`
 * and the simulated radio injected through its transport seam, the owner's
 * phone as the real Receiver over a BLE central. Every capture's provenance
 * is verified from stripped blocks + PREVIEW before its data, then every
 * capture completes verified and byte-identical; the link drops in the
 * middle of a full block and the session resumes (same BLE session, same
 * delivery session) with no block delivered twice; the outbox drains; a
 * central holding another key is refused (BLE_AUTH_NOT_OWNER).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Camera, Capture, CameraStats } from '../../src/capture/camera.js';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { DeviceDaemon } from '../../src/device/daemon/daemon.js';
import { ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { fromHex, toHex } from '../../src/platform/bytes.js';
import { systemClock } from '../../src/platform/clock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import { runConnectLoop } from '../../src/receiver/connect-loop.js';
import type { PreviewEvent } from '../../src/receiver/preview.js';
import jpegJs from 'jpeg-js';
const encodeJpeg = jpegJs.encode;
import { Receiver } from '../../src/receiver/receiver.js';
import type { CaptureEvent } from '../../src/receiver/types.js';
import { BleTransport, ownerSignerFromSecret, SimRadio, type CentralBackend } from '../../src/transport/ble/index.js';
import { fixtureKeygen, makeDeviceState, ownerIdentity, waitFor } from '../device/helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const NAME = 'sealcam-t';

/** A camera that yields the given captures every `everyMs`, then nothing until stopped. */
class ScriptedCamera implements Camera {
  readonly kind = 'scripted';
  private k = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  constructor(private readonly items: Uint8Array[], private readonly everyMs: number) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    return Promise.resolve();
  }
  async next(): Promise<Capture | null> {
    if (this.k < this.items.length && !this.stopped) {
      await new Promise((r) => setTimeout(r, this.everyMs));
      const bytes = this.items[this.k]!;
      return { bytes: Uint8Array.from(bytes), captureTime: BigInt(Date.now()), contentType: bytes[0] === 0xff && bytes[1] === 0xd8 ? 1 : 3, mode: 1, seq: this.k++ };
    }
    if (!this.stopped) await new Promise<void>((r) => (this.wake = r));
    return null;
  }
  stats(): CameraStats {
    return { kind: this.kind, state: 'running', produced: this.k, delivered: this.k, dropped: 0, queued: 0, queuedBytes: 0, restarts: 0, errors: {}, lastError: null, lastFrameAt: null };
  }
  health(): { state: 'running'; lastFrameAt: null; sinceLastFrameMs: null } {
    return { state: 'running', lastFrameAt: null, sinceLastFrameMs: null };
  }
  isStalled(): boolean {
    return false;
  }
  [Symbol.asyncIterator](): AsyncIterator<Capture> {
    return { next: async () => {
      const c = await this.next();
      return c ? { done: false, value: c } : { done: true, value: undefined };
    } };
  }
}

/**
 * The central's radio, watching the device's data values: after the FIRST fragment of a
 * full BLOCK (frame of kind 2 larger than any stripped one) and `after` more fragments, the link drops once.
 */
function dropMidBlock(radio: SimRadio, minFull: number, after: number): { backend: CentralBackend<string>; dropped: () => boolean } {
  const inner = radio.central();
  let seenFull = 0;
  let countdown = -1;
  let dropped = false;
  return {
    dropped: () => dropped,
    backend: {
      connect: async (address, signal) => {
        const r = await inner.connect(address, signal);
        const link = r.link;
        const setHandler = link.setHandler.bind(link);
        link.setHandler = (h) => setHandler({
          ...h,
          receive: (ch, v) => {
            h.receive(ch, v);
            if (dropped || ch !== 'data' || v[0] !== 0x01) return;
            const first = (v[1]! & 1) === 1;
            if (first && v[8] === 2 && new DataView(v.buffer, v.byteOffset).getUint32(9) >= minFull && ++seenFull === 2) countdown = after;
            else if (countdown > 0 && --countdown === 0) {
              dropped = true;
              radio.dropAll();
            }
          },
        });
        return r;
      },
    },
  };
}

test('daemon → BLE → owner receiver: provenance first, byte-identical captures, a mid-block link drop resumes without duplicates, a non-owner is refused', async () => {
  const dir = await tempDir('sealcam-ble-e2e-');
  const stateDir = join(dir, 'state');
  const owner = ownerIdentity();
  (await makeDeviceState(stateDir, owner, { n: 3, T: 600, delta: 60000 })).destroy();
  const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: 1 | 2; publicKey: string };
  const rng = new SeededRng('ble-e2e');
  // Even captures are real JPEGs (they get a signed thumbnail in their PREVIEW), odd ones raw bytes (none).
  const jpeg = (k: number): Uint8Array => {
    const w = 96 + 8 * k;
    const px = Buffer.from(rng.bytes(w * 64 * 4));
    return new Uint8Array(encodeJpeg({ data: px, width: w, height: 64 }, 80).data);
  };
  const items = Array.from({ length: 8 }, (_, k) => (k % 2 === 0 ? jpeg(k) : rng.bytes(6000 + 700 * k)));
  const radio = new SimRadio({ clock: systemClock, connectDelayMs: 5 });
  const log = new MemoryLogger();
  const config = parseDeviceConfig([
    'version: 1', `stateDir: ${JSON.stringify(stateDir)}`, 'keys: { modulusBits: 2048, blocks: 3, periods: 600, periodMs: 60000 }',
    'outbox: { retryBaseMs: 50, retryMaxMs: 1000 }', 'tcp: { enabled: false }', `ble: { enabled: true, name: ${NAME}, fullData: idle }`, '',
  ].join('\n'));
  const daemon = new DeviceDaemon({
    config, logger: log, keygen: await fixtureKeygen(), env: {}, camera: () => Promise.resolve(new ScriptedCamera(items, 60)),
    transports: { blePeripheral: (name) => radio.peripheral(name) },
  });
  const receiver = new Receiver({ identity: owner, store: join(dir, 'phone'), trustedManufacturers: [{ suite: man.suite, publicKey: fromHex(man.publicKey) }] });
  const order: string[] = [];
  const previews: PreviewEvent[] = [];
  const captures = new Map<bigint, CaptureEvent>();
  receiver.on('preview', (e) => (previews.push(e), order.push(`preview ${e.seq}`)));
  receiver.on('capture', (c) => (captures.set(c.seq, c), order.push(`capture ${c.seq}`)));
  const stop = new AbortController();
  let loop: Promise<void> | null = null;
  const keepAlive = setInterval(() => {}, 1000); // the simulated radio runs on unref'd timers only (a real one holds a socket)
  try {
    await daemon.start();
    await receiver.start();
    assert.ok(log.entries.some((e) => e.msg === 'ble: advertising for the owner'));

    // A central with another key: refused after the challenge, counted with the precise reason on the device.
    const stranger = new BleTransport<string>({ central: { backend: radio.central(), owner: ownerSignerFromSecret(1, ecdsaRandomSecret(1)) } });
    await assert.rejects(stranger.connect(NAME), (e: unknown) => isSealcamError(e, 'CONNECT_FAILED') && isSealcamError((e as Error).cause, 'BLE_AUTH_FAILED'));
    await waitFor(() => log.entries.some((e) => e.msg === 'ble: handshake refused' && (e.obj as { code?: string }).code === 'BLE_AUTH_NOT_OWNER'), 'the refusal logged');
    assert.equal(daemon.status().delivery.sessions.length, 0, 'no delivery session for the stranger');

    // The owner's phone.
    const tap = dropMidBlock(radio, 1500, 3); // stripped BLOCKs are < 1 kB here, full ones > 2.5 kB (≥ 11 fragments)
    const phone = new BleTransport<string>({
      central: { backend: tap.backend, owner: ownerSignerFromSecret(owner.suite, owner.secret), expectDevice: daemon.status().device ? fromHex(daemon.status().device!.address) : undefined, reconnectDelayMs: 20 },
    });
    loop = runConnectLoop({ receiver, signal: stop.signal, initialBackoffMs: 50, maxBackoffMs: 200, dial: (signal) => phone.connect(NAME, { signal }) });
    await waitFor(() => captures.size === items.length, 'every capture at the phone', 60_000);
    // every ACK processed by the device: its record gone and the block counted
    await waitFor(() => daemon.status({ pending: true }).outbox?.records === 0 && daemon.status().delivery.counters.delivered >= 3 * items.length, 'the outbox to drain', 30_000);

    assert.ok(tap.dropped(), 'the link dropped in the middle of a full block');
    assert.ok(radio.stats.links >= 3, 'the stranger, the phone, and the phone again after the drop');
    const st = receiver.stats();
    assert.equal(st.connections, 1, 'one BLE session: it resumed instead of starting over');
    assert.deepEqual(st.acks, { RETRY_LATER: 3 * items.length, STORED: 3 * items.length }, 'each stripped and each full block exactly once');
    assert.equal(st.blocksDuplicate, 0);
    assert.deepEqual(st.rejections, { DATA_REQUIRED: 3 * items.length });
    assert.deepEqual(st.previews, { VERIFIED: items.length });
    // Each JPEG's capture-time C2PA manifest follows its stripped blocks; the phone keeps it until the full blocks complete the capture.
    assert.equal(st.c2pa['STORED'], items.length / 2, JSON.stringify(st.c2pa));
    assert.deepEqual(Object.keys(st.c2pa).filter((k) => k !== 'STORED' && k !== 'PARKED'), [], JSON.stringify(st.c2pa));
    const ds = daemon.status();
    assert.equal(ds.delivery.counters.sessions, 1, 'one delivery session on the device');
    assert.equal(ds.delivery.counters.delivered, 3 * items.length);
    assert.deepEqual([ds.delivery.counters.retried, ds.delivery.counters.badAcks, ds.delivery.counters.protocolErrors, ds.delivery.counters.rejected], [0, 0, 0, 0]);
    assert.deepEqual(ds.delivery.sessions.map((s) => [s.transport, s.dest]), [['ble', 'owner']]);

    const caps = [...captures.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1));
    caps.forEach((c, k) => {
      assert.equal(c.verdict, 'verified');
      assert.equal(c.c, 3);
      assert.equal(toHex(c.bytes), toHex(items[k]!), `capture ${k} (seq ${c.seq}) is byte-identical`);
      const p = previews.find((x) => x.seq === c.seq);
      assert.equal(p?.verdict, 'verified', `seq ${c.seq}: provenance verified from the PREVIEW`);
      assert.equal(p.headerDigest, c.headerDigest);
      assert.ok(order.indexOf(`preview ${c.seq}`) < order.indexOf(`capture ${c.seq}`), `seq ${c.seq}: preview before the data completed it`);
      if (k % 2 === 0) assert.equal(p.thumbnail?.signed, true, `seq ${c.seq}: a thumbnail signed by the device key`);
      else assert.equal(p.thumbnail, undefined, `seq ${c.seq}: no thumbnail for a non-JPEG capture`);
    });

    // The daemon stops with the phone attached: the BLE session closes gracefully, so the phone ends it (no resume attempts).
    await daemon.stop();
    await waitFor(() => receiver.stats().activeSessions === 0, "the phone's session ended");
    assert.deepEqual(log.entries.filter((e) => e.level === 'error').map((e) => e.msg), []);
  } finally {
    stop.abort();
    await loop;
    await daemon.stop();
    await receiver.stop();
    await removeDir(dir);
    clearInterval(keepAlive);
  }
});
