/**
 * `sealcam export` from a device state directory: writes a capture bundle
 * (SCHEME.md Appendix) for every capture whose blocks are ALL still held in
 * the outbox, as `<out>/<deviceAddr>/<seq>.json` (+ the capture bytes as
 * `<seq>.jpg|.mjpeg|.raw`), each verified with src/dstp verifyBundle before it
 * is written, with the key chain from `<stateDir>/keychain.json` (and the
 * device key from factory.json). Needs no
 * secret and writes nothing in the state directory: the outbox is opened
 * read-only (no lock, no repair), so it may run next to a running daemon and
 * exports what was durably queued when it started.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { bundleToJson, verifyBundle } from '../dstp/bundle.js';
import { decodeHeader } from '../dstp/header.js';
import type { KeyChain } from '../chain/links.js';
import { recordFromJson } from '../ledger/record-codec.js';
import type { FactoryRecord } from '../ledger/record-spec.js';
import { Outbox } from '../outbox/outbox.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { sha256 } from '../crypto/hash.js';
import { isSealcamError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { storedBundle } from '../receiver/bundle.js';
import { C2PA_RECORD_INDEX } from '../device/pipeline/types.js';
import type { StoredBlock } from '../receiver/store/codec.js';
import { decodeMessage, MessageKind } from '../transport/messages.js';
import { bundleChain, readKeychainFile } from '../device/keys/chain-file.js';
import { DeviceStateError, readJsonState, STATE_FILES, statePath } from '../device/daemon/state-dir.js';

/** Options of {@link exportOutbox}. */
export interface ExportOutboxOptions {
  /** Only this capture seq. */
  readonly seq?: bigint;
  /** Also write the capture bytes (default true). */
  readonly images?: boolean;
  /**
   * Content Credentials: for each JPEG capture, the JPEG with credentials
   * carrying the verified bundle (c2pa-photo.ts photoWithCredentials with the
   * device's signer), written as `<seq>.c2pa.jpg`. This module holds no secret.
   */
  readonly credentials?: (jpeg: Uint8Array, bundleJson: Record<string, unknown>) => Promise<Uint8Array>;
  readonly logger?: Logger;
}

/** One capture found in the outbox. */
export interface ExportedFromOutbox {
  readonly seq: bigint;
  readonly bundlePath: string | null;
  readonly imagePath: string | null;
  /** The JPEG with Content Credentials (`<seq>.c2pa.jpg`), when asked for and the capture is a JPEG. */
  readonly photoPath: string | null;
  /**
   * null when written; else why not (INCOMPLETE: some blocks were already delivered everywhere and left the outbox;
   * a C2PA code: the bundle was written, its photo with credentials was not).
   */
  readonly reason: string | null;
}

const EXT: Record<number, string> = { 1: 'jpg', 2: 'mjpeg', 3: 'raw' };

interface DeviceKeys {
  readonly factory: FactoryRecord;
  readonly chain: KeyChain;
}

async function readDeviceKeys(stateDir: string): Promise<DeviceKeys> {
  const fjson = await readJsonState(statePath(stateDir, STATE_FILES.factory));
  if (fjson === null) throw new DeviceStateError('STATE_MISSING', `${stateDir} has no leave-factory record`);
  let factory;
  try {
    factory = recordFromJson(fjson);
  } catch (e) {
    throw new DeviceStateError('STATE_FORMAT', `factory.json: ${(e as Error).message}`, { cause: e });
  }
  if (factory.kind !== 'factory') throw new DeviceStateError('STATE_FORMAT', 'factory.json is not a leave-factory record');
  const chain = await readKeychainFile(stateDir);
  if (chain === null) throw new DeviceStateError('STATE_MISSING', `${stateDir} has no keychain.json (run the daemon or \`sealcam keys status\` once)`);
  return { factory, chain };
}

/**
 * Exports the captures held in `<stateDir>/outbox` to `outDir`.
 * @throws DeviceStateError STATE_MISSING (no outbox); OutboxError (e.g. OUTBOX_FORMAT); fs errors
 */
export async function exportOutbox(stateDir: string, outDir: string, opts: ExportOutboxOptions = {}): Promise<ExportedFromOutbox[]> {
  if (typeof outDir !== 'string' || outDir === '') throw new TypeError('outDir must be a non-empty string');
  const boxDir = statePath(stateDir, STATE_FILES.outbox);
  if (!(await fs.stat(boxDir).then((s) => s.isDirectory(), () => false))) {
    throw new DeviceStateError('STATE_MISSING', `${stateDir} has no outbox (${boxDir})`);
  }
  const regs = await readDeviceKeys(stateDir);
  const box = await Outbox.openReadOnly({ dir: boxDir, logger: opts.logger ?? silentLogger });
  try {
    const bySeq = new Map<bigint, number[]>();
    for (const p of box.listPending()) {
      if (opts.seq !== undefined && p.seq !== opts.seq) continue;
      if (p.index === C2PA_RECORD_INDEX) continue; // the capture-time C2PA message for receivers, not a block
      bySeq.set(p.seq, [...(bySeq.get(p.seq) ?? []), p.index]);
    }
    const out: ExportedFromOutbox[] = [];
    for (const [seq, indices] of bySeq) out.push(await exportOne(box, regs, seq, indices, outDir, opts));
    return out;
  } finally {
    await box.close();
  }
}

async function exportOne(
  box: Outbox, regs: DeviceKeys, seq: bigint, indices: number[], outDir: string, opts: ExportOutboxOptions,
): Promise<ExportedFromOutbox> {
  const images = opts.images !== false;
  const none = (reason: string): ExportedFromOutbox => ({ seq, bundlePath: null, imagePath: null, photoPath: null, reason });
  const blocks: StoredBlock[] = [];
  let header: Uint8Array | null = null;
  let headerSignature: Uint8Array | null = null;
  for (const i of indices) {
    let msg;
    try {
      msg = decodeMessage({ kind: MessageKind.BLOCK, payload: (await box.read(seq, i)).data });
    } catch (e) {
      return none((e as { code?: string }).code ?? 'UNREADABLE');
    }
    if (msg.type !== 'block') return none('NOT_A_BLOCK');
    header = msg.header;
    headerSignature = msg.headerSignature;
    blocks.push({ i: msg.index, off: msg.off, len: msg.len, proof: msg.proof, fsSignature: msg.fsSignature, data: msg.data });
  }
  if (!header || !headerSignature) return none('EMPTY');
  const h = decodeHeader(header);
  if (blocks.length !== h.c) return none('INCOMPLETE');
  const fsPublicKey = regs.chain.keys.find((k) => equalBytes(sha256(k.publicKey), h.keyId))?.publicKey;
  if (!fsPublicKey) return none('KEYID_UNREGISTERED');
  // Without a witness of a restart on the way (not yet acknowledged), the bundle goes out as integrity only.
  const chain = bundleChain(regs.chain, h.keyId, h.ts);
  const bundle = storedBundle({
    suite: regs.factory.deviceSuite, devicePublicKey: regs.factory.devicePublicKey, fsPublicKey, header, headerSignature, blocks,
  });
  const json = bundleToJson({ ...bundle, ...(chain ? { chain } : {}) });
  const v = verifyBundle(json);
  if (!v.valid) return none(v.reason ?? 'INVALID');
  const dir = join(outDir, toHex(h.deviceAddr));
  await fs.mkdir(dir, { recursive: true });
  const bundlePath = join(dir, `${seq}.json`);
  await writeFileAtomic(bundlePath, new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'), { mode: 0o644 });
  let imagePath: string | null = null;
  if (images && v.capture) {
    imagePath = join(dir, `${seq}.${EXT[h.contentType] ?? 'raw'}`);
    await writeFileAtomic(imagePath, v.capture, { mode: 0o644 });
  }
  let photoPath: string | null = null;
  if (opts.credentials && h.contentType === 1 && v.capture) {
    let photo: Uint8Array;
    try {
      photo = await opts.credentials(v.capture, json as unknown as Record<string, unknown>);
    } catch (e) {
      // The bundle is written; the photo is not (e.g. C2PA_ALREADY_PRESENT, C2PA_JPEG_MALFORMED).
      if (isSealcamError(e)) return { seq, bundlePath, imagePath, photoPath: null, reason: e.code };
      throw e;
    }
    photoPath = join(dir, `${seq}.c2pa.jpg`);
    await writeFileAtomic(photoPath, photo, { mode: 0o644 });
  }
  return { seq, bundlePath, imagePath, photoPath, reason: null };
}
