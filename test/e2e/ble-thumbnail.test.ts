/**
 * Issue "BLE: stream signed captures to the owner's phone" — "headers,
 * FsSignatures, Merkle proofs and a small thumbnail first": the device's BLE
 * owner link (startBleOwnerLink with a thumbnail signer, over the simulated
 * radio) streams JPEG captures to the owner's phone (the real Receiver over a
 * BLE central). For every capture the phone's `preview` event carries a
 * ≤ 160 px thumbnail verified against the registered device key BEFORE the
 * phone reads the first full block of that capture; a non-JPEG capture gets
 * no thumbnail; a thumbnail signed with another key is dropped and counted
 * (THUMBNAIL_SIGNATURE) while its capture still verifies and completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { startBleOwnerLink } from '../../src/device/links/ble.js';
import { equalBytes, toHex, utf8 } from '../../src/platform/bytes.js';
import { HEADER_OFFSETS } from '../../src/dstp/header.js';
import type { SignedCapture } from '../helpers/sign.js';
import { systemClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import type { PreviewEvent } from '../../src/receiver/preview.js';
import type { CaptureEvent } from '../../src/receiver/types.js';
import { THUMBNAIL_TAG } from '../../src/transport/ble/preview.js';
import { BleTransport, ownerSignerFromSecret, SimRadio } from '../../src/transport/ble/index.js';
import { AckStatus, decodeMessage, MessageKind, type BlockMessage } from '../../src/transport/messages.js';
import type { Connection, Frame } from '../../src/transport/transport.js';
import { ownerIdentity, startReceiver, T0, waitFor } from '../receiver/harness.js';
import { blockMessages, captureBytes, DeviceSide, SimDevice } from '../receiver/sim.js';
import { removeDir } from '../helpers/temp.js';

const NAME = 'sealcam-thumb';
const TAG_LEN = utf8(THUMBNAIL_TAG).length;

/** A w×h JPEG with a per-capture colour gradient. */
function photo(w: number, h: number, tint: number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([(i % w) & 0xff, tint, ((i / w) | 0) & 0xff, 255], i * 4);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 85).data);
}

test('BLE owner link: each JPEG capture\'s PREVIEW brings a device-signed thumbnail, verified by the phone before the first full block; a forged one is dropped', async () => {
  const dev = await new SimDevice('ble-thumb', { t0: T0, n: 4, cycles: 1 }).init();
  const owner = ownerIdentity();
  const { receiver, dir } = await startReceiver();
  const radio = new SimRadio({ clock: systemClock, connectDelayMs: 2 });
  const log = new MemoryLogger();
  const rogue = sha256(utf8('not the device key'));
  const items = [photo(640, 480, 10), photo(320, 400, 200), captureBytes('not-a-jpeg', 9000), photo(480, 360, 90)];
  const FORGED = 4n; // seq 4: its thumbnail is signed with another key
  const signed: SignedCapture[] = [];
  for (const [k, bytes] of items.entries()) signed.push(await dev.capture(BigInt(k + 1), bytes, { blocks: 3 }));
  const config = parseDeviceConfig(['version: 1', `stateDir: ${JSON.stringify(join(dir, 'dev'))}`, 'tcp: { enabled: false }', `ble: { enabled: true, name: ${NAME}, fullData: idle }`, ''].join('\n'));

  // The device side: HELLO, REG, then every block of every capture; the link sends them provenance first.
  const deviceDone: Promise<AckStatus[]>[] = [];
  const attach = (conn: Connection): void => {
    deviceDone.push((async () => {
      const side = new DeviceSide(conn, dev.addr);
      assert.equal((await side.hello())?.type, 'hello');
      assert.equal((await side.register(dev.registration(0)))?.type, 'reg-ack');
      for (const s of signed) for (const m of blockMessages(s)) await side.send(m);
      const acks: AckStatus[] = [];
      while (acks.length < 3 * items.length) {
        const m = await side.next();
        if (m?.type !== 'ack') throw new Error(`expected an ACK, got ${m?.type ?? 'end'}`);
        acks.push(m.status);
      }
      await conn.close();
      return acks;
    })());
  };
  const link = await startBleOwnerLink({
    config: config.ble, deviceAddr: dev.addr, ownerAddr: () => owner.addr, attach, backend: radio.peripheral(NAME),
    clock: systemClock, rng: new SeededRng('ble-thumb'), logger: log,
    thumbnailSigner: {
      suite: dev.suite,
      // The signed message carries the capture's header digest right after the tag.
      sign: (m) => ecdsaSign(dev.suite, equalBytes(m.subarray(TAG_LEN, TAG_LEN + 32), signed[Number(FORGED) - 1]!.headerDigest) ? rogue : dev.secret, m),
    },
  });

  const order: string[] = [];
  const previews: PreviewEvent[] = [];
  const captures: CaptureEvent[] = [];
  receiver.on('preview', (e) => (previews.push(e), order.push(`preview ${e.seq}`)));
  receiver.on('capture', (c) => captures.push(c));
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const phone = new BleTransport<string>({ central: { backend: radio.central(), owner: ownerSignerFromSecret(owner.suite, owner.secret), expectDevice: dev.addr } });
    const conn = await phone.connect(NAME);
    // The phone's view: the order in which the receiver reads full BLOCKs (it handles one frame at a time).
    const recv = conn.receive.bind(conn);
    conn.receive = async (): Promise<Frame | undefined> => {
      const f = await recv();
      if (f?.kind === MessageKind.BLOCK) {
        const m = decodeMessage(f) as BlockMessage;
        if (m.data.length > 0) order.push(`full ${new DataView(m.header.buffer, m.header.byteOffset + HEADER_OFFSETS.seq, 8).getBigUint64(0)}`);
      }
      return f;
    };
    const session = receiver.handle(conn);
    await waitFor(() => captures.length === items.length, 'every capture at the phone');
    await waitFor(() => deviceDone.length === 1, 'the device session');
    const acks = await deviceDone[0]!;
    assert.equal(acks.filter((s) => s === AckStatus.STORED).length, 3 * items.length, 'every full block stored (metadata receipts are not passed up)');
    await session;

    assert.equal(previews.length, items.length);
    for (const [k, s] of signed.entries()) {
      const seq = BigInt(k + 1);
      const p = previews.find((x) => x.seq === seq)!;
      assert.equal(p.verdict, 'verified', `seq ${seq}: provenance verified`);
      assert.equal(p.headerDigest, toHex(s.headerDigest));
      const first = order.indexOf(`full ${seq}`);
      assert.ok(first > order.indexOf(`preview ${seq}`) && order.indexOf(`preview ${seq}`) >= 0, `seq ${seq}: preview before its first full block (${order.join(', ')})`);
      const c = captures.find((x) => x.seq === seq)!;
      assert.equal(c.verdict, 'verified', `seq ${seq}: the capture itself verifies`);
      assert.equal(toHex(c.bytes), toHex(items[k]!));
      if (k === 2) {
        assert.equal(p.thumbnail, undefined, 'a non-JPEG capture has no thumbnail');
        assert.equal(p.thumbnailRejected, undefined);
      } else if (seq === FORGED) {
        assert.equal(p.thumbnail, undefined, 'a thumbnail with a forged signature is not shown');
        assert.equal(p.thumbnailRejected, 'THUMBNAIL_SIGNATURE');
      } else {
        const t = p.thumbnail!;
        assert.equal(t.signed, true, `seq ${seq}: thumbnail verified against the registered device key`);
        assert.ok(Math.max(t.width, t.height) === 160 && t.jpeg.length < 16384, `${t.width}×${t.height}, ${t.jpeg.length} bytes`);
        const img = jpeg.decode(t.jpeg, { useTArray: true });
        assert.deepEqual([img.width, img.height], [t.width, t.height], 'a real JPEG of the announced size');
      }
    }
    assert.deepEqual(receiver.stats().previews, { VERIFIED: items.length, THUMBNAIL_SIGNATURE: 1 });
  } finally {
    clearInterval(keepAlive);
    await link.stop();
    await receiver.stop();
    await removeDir(dir);
  }
});
