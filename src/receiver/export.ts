/**
 * `sealcam export --from receiver-store`: writes, for every complete capture
 * of a receiver store, its capture bundle (with the key chain, and the
 * saveHash field when batched) as `<out>/<deviceAddr>/<seq>.json` and the
 * reassembled capture as `<seq>.jpg` / `.mjpeg` / `.raw` by contentType. With
 * the receiver's key, each restart in a chain also carries the receiver's own
 * witness acknowledgement (it witnessed the cycle when it first accepted it).
 * Every bundle is verified (src/verify, integrity) before it is written;
 * files are written atomically. A JPEG capture whose device sent its C2PA
 * manifest store (verified on receipt: c2pa-handler.ts) is also written with
 * the store embedded as `<seq>.c2pa.jpg`: Content Credentials signed by the
 * device at capture time (docs/C2PA.md "Credentials through the receiver").
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ChainKey, KeyChain } from '../chain/links.js';
import { chainToJson } from '../chain/json.js';
import { chainForCapture } from '../chain/links.js';
import type { Suite } from '../crypto/ecdsa.js';
import { CONTENT_JPEG, decodeHeader } from '../dstp/header.js';
import { embedC2paStore } from '../c2pa/index.js';
import { signAckRecord } from '../ledger/records.js';
import type { HeldCycle } from '../chain/book.js';
import { KeyRegistry } from '../peer/key-registry.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { fromHex, toHex } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { verifyCaptureBundle } from '../verify/capture.js';
import { bundleJson, storedBundle } from './bundle.js';
import { receiverError } from './errors.js';
import { DirMaker } from './store/fs-util.js';
import { ReceiverStore } from './store/store.js';

/** Options of {@link exportBundles}. */
export interface ExportOptions {
  /** Only this device (40 hex digits). */
  readonly device?: string;
  /** Only this capture sequence number. */
  readonly seq?: bigint;
  /** Also write the reassembled capture (default true). */
  readonly images?: boolean;
  /** The receiver's key: adds its own witness acknowledgement to restarts (see the file comment). */
  readonly identity?: { readonly suite: Suite; readonly secret: Uint8Array; readonly publicKey: Uint8Array };
  readonly logger?: Logger;
}

/** One exported (or refused) capture. */
export interface ExportedCapture {
  readonly deviceAddr: string;
  readonly seq: bigint;
  /** Written bundle path; null when the bundle did not verify (nothing written). */
  readonly bundlePath: string | null;
  readonly imagePath: string | null;
  /** The JPEG with the device's Content Credentials (`<seq>.c2pa.jpg`), when the store holds its manifest store. */
  readonly photoPath: string | null;
  readonly valid: boolean;
  /** First failing reason when !valid. */
  readonly reason: string | null;
  readonly saveHash: boolean;
  /** The bundle carries the key chain (false: integrity only — see ExportOptions.identity). */
  readonly chain: boolean;
}

const EXT: Record<number, string> = { 1: 'jpg', 2: 'mjpeg', 3: 'raw' };

/**
 * Exports bundles (and images) of complete captures.
 * @throws SealcamError RECEIVER_STORE when `storeDir` is not a receiver store or a file is damaged.
 * @throws TypeError / RangeError on bad arguments (device not 40 hex digits).
 */
export async function exportBundles(storeDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportedCapture[]> {
  if (typeof outDir !== 'string' || outDir === '') throw new TypeError('outDir must be a non-empty string');
  if (opts.device !== undefined && !/^[0-9a-f]{40}$/.test(opts.device)) throw new RangeError('device must be 40 lowercase hex digits');
  const isDir = await fs.stat(join(storeDir, 'devices')).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw receiverError('RECEIVER_STORE', `${storeDir} is not a receiver store (no devices/ directory)`);
  const store = await ReceiverStore.open(storeDir, { logger: opts.logger ?? silentLogger });
  let registry: KeyRegistry;
  try {
    registry = await KeyRegistry.open(join(storeDir, 'chains'), { trustedManufacturers: [] });
  } catch (e) {
    throw receiverError('RECEIVER_STORE', `${storeDir}: the key chains cannot be read: ${(e as Error).message}`, e);
  }
  const dirs = new DirMaker();
  const out: ExportedCapture[] = [];
  for (const dev of await store.devices()) {
    if (opts.device !== undefined && dev !== opts.device) continue;
    for (const seq of await store.captureSeqs(dev)) {
      if (opts.seq !== undefined && seq !== opts.seq) continue;
      const info = await store.capture(dev, seq);
      if (info === null || info.complete === null) continue;
      const h = decodeHeader(info.header);
      const held = registry.chainUpTo(dev, toHex(h.keyId));
      if (held === undefined) {
        out.push({ deviceAddr: dev, seq, bundlePath: null, imagePath: null, photoPath: null, valid: false, reason: 'KEYID_UNREGISTERED', saveHash: false, chain: false });
        continue;
      }
      const last = held.cycles[held.cycles.length - 1]!;
      const chain: KeyChain = {
        manufacturer: held.chain.manufacturer, factory: held.chain.factory,
        keys: held.cycles.map((c) => withOwnAck(c, held.chain.device.addr, opts.identity)),
      };
      const bundle = storedBundle({
        suite: held.chain.device.suite, devicePublicKey: held.chain.device.publicKey, fsPublicKey: last.publicKey,
        header: info.header, headerSignature: info.headerSignature, blocks: await store.readBlocks(dev, seq),
      });
      // A restart this receiver holds without any acknowledgement (exported without its key) cannot be
      // shown to verifiers: such a bundle goes out without its chain, as integrity only.
      const forCapture = chainForCapture(chain, h.ts);
      const unwitnessed = forCapture.keys.some((k) => k.link?.kind === 'restart' && k.link.acks.length === 0);
      const json = bundleJson(bundle, info.saveHash, unwitnessed ? undefined : chainToJson(forCapture));
      const v = verifyCaptureBundle(json);
      if (!v.valid) {
        out.push({ deviceAddr: dev, seq, bundlePath: null, imagePath: null, photoPath: null, valid: false, reason: v.reason, saveHash: info.saveHash != null, chain: !unwitnessed });
        continue;
      }
      const dir = join(outDir, dev);
      await dirs.ensure(dir);
      const bundlePath = join(dir, `${seq}.json`);
      await writeFileAtomic(bundlePath, new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'), { mode: 0o644 });
      let imagePath: string | null = null;
      if (opts.images !== false && v.capture !== undefined) {
        imagePath = join(dir, `${seq}.${EXT[h.contentType] ?? 'raw'}`);
        await writeFileAtomic(imagePath, v.capture, { mode: 0o644 });
      }
      let photoPath: string | null = null;
      const manifestStore = h.contentType === CONTENT_JPEG && v.capture !== undefined ? await store.readC2pa(dev, seq) : null;
      if (manifestStore !== null) {
        photoPath = join(dir, `${seq}.c2pa.jpg`);
        await writeFileAtomic(photoPath, embedC2paStore(v.capture!, manifestStore), { mode: 0o644 });
      }
      out.push({ deviceAddr: dev, seq, bundlePath, imagePath, photoPath, valid: true, reason: null, saveHash: info.saveHash != null, chain: !unwitnessed });
    }
  }
  return out;
}

/** A held cycle as a chain entry; a restart gets this receiver's own acknowledgement (with its first seenAt) when its key is given. */
function withOwnAck(c: HeldCycle, deviceAddr: Uint8Array, id: ExportOptions['identity']): ChainKey {
  if (c.link?.kind !== 'restart' || id === undefined) return { publicKey: c.publicKey, link: c.link };
  if (c.link.acks.some((a) => a.suite === id.suite && toHex(a.serverPublicKey) === toHex(id.publicKey))) return { publicKey: c.publicKey, link: c.link };
  const ack = signAckRecord({ serverSuite: id.suite, serverSecret: id.secret, deviceAddr, keyId: fromHex(c.keyIdHex), seenAt: c.seenAt });
  return {
    publicKey: c.publicKey,
    link: { ...c.link, acks: [...c.link.acks, { suite: id.suite, serverPublicKey: ack.serverPublicKey, seenAt: c.seenAt, signature: ack.signature }] },
  };
}
