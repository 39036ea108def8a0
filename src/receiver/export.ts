/**
 * `sealcam export --from receiver-store`: writes, for every complete capture
 * of a receiver store, its capture bundle (with the saveHash field when
 * batched) as `<out>/<deviceAddr>/<seq>.json` and the reassembled capture as
 * `<seq>.jpg` / `.mjpeg` / `.raw` by contentType. Every bundle is verified
 * (verifyReceiverBundle) before it is written; files are written atomically.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { decodeHeader } from '../dstp/header.js';
import { decodeKeyRegistration, keyIdOf } from '../ledger/index.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { toHex } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { bundleJson, storedBundle, verifyReceiverBundle } from './bundle.js';
import { receiverError } from './errors.js';
import { DirMaker } from './fs-util.js';
import { ReceiverStore } from './store.js';

/** Options of {@link exportBundles}. */
export interface ExportOptions {
  /** Only this device (40 hex digits). */
  readonly device?: string;
  /** Only this capture sequence number. */
  readonly seq?: bigint;
  /** Also write the reassembled capture (default true). */
  readonly images?: boolean;
  readonly logger?: Logger;
}

/** One exported (or refused) capture. */
export interface ExportedCapture {
  readonly deviceAddr: string;
  readonly seq: bigint;
  /** Written bundle path; null when the bundle did not verify (nothing written). */
  readonly bundlePath: string | null;
  readonly imagePath: string | null;
  readonly valid: boolean;
  /** First failing reason when !valid. */
  readonly reason: string | null;
  readonly saveHash: boolean;
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
  const dirs = new DirMaker();
  const out: ExportedCapture[] = [];
  for (const dev of await store.devices()) {
    if (opts.device !== undefined && dev !== opts.device) continue;
    const keys = new Map<string, { suite: 1 | 2; devicePublicKey: Uint8Array; fsPublicKey: Uint8Array }>();
    for (const payload of await store.registrations(dev)) {
      const r = decodeKeyRegistration(payload);
      keys.set(toHex(keyIdOf(r.fsPublicKey)), { suite: r.suite, devicePublicKey: r.devicePublicKey, fsPublicKey: r.fsPublicKey });
    }
    for (const seq of await store.captureSeqs(dev)) {
      if (opts.seq !== undefined && seq !== opts.seq) continue;
      const info = await store.capture(dev, seq);
      if (info === null || info.complete === null) continue;
      const h = decodeHeader(info.header);
      const key = keys.get(toHex(h.keyId));
      if (key === undefined) {
        out.push({ deviceAddr: dev, seq, bundlePath: null, imagePath: null, valid: false, reason: 'KEYID_UNREGISTERED', saveHash: false });
        continue;
      }
      const bundle = storedBundle({ ...key, header: info.header, headerSignature: info.headerSignature, blocks: await store.readBlocks(dev, seq) });
      const json = bundleJson(bundle, info.saveHash);
      const v = verifyReceiverBundle(json);
      if (!v.valid) {
        out.push({ deviceAddr: dev, seq, bundlePath: null, imagePath: null, valid: false, reason: v.reason, saveHash: v.saveHash.present });
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
      out.push({ deviceAddr: dev, seq, bundlePath, imagePath, valid: true, reason: null, saveHash: v.saveHash.present });
    }
  }
  return out;
}
