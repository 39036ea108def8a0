/**
 * `sealcam export` from a device state directory: writes a capture bundle
 * (SCHEME.md Appendix) for every capture whose blocks are ALL still held in
 * the outbox, as `<out>/<deviceAddr>/<seq>.json` (+ the capture bytes as
 * `<seq>.jpg|.mjpeg|.raw`), each verified with src/dstp verifyBundle before it
 * is written. FsPublicKeys come from `<stateDir>/registrations/`. Needs no
 * secret and writes nothing in the state directory: the outbox is opened
 * read-only (no lock, no repair), so it may run next to a running daemon and
 * exports what was durably queued when it started.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { bundleToJson, verifyBundle } from '../dstp/bundle.js';
import { decodeHeader } from '../dstp/header.js';
import { decodeKeyRegistration, keyIdOf } from '../ledger/registration.js';
import { Outbox } from '../outbox/outbox.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { toHex } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { storedBundle } from '../receiver/bundle.js';
import type { StoredBlock } from '../receiver/store-codec.js';
import { decodeMessage, MessageKind } from '../transport/messages.js';
import { DeviceStateError, STATE_FILES, statePath } from './state-dir.js';

/** Options of {@link exportOutbox}. */
export interface ExportOutboxOptions {
  /** Only this capture seq. */
  readonly seq?: bigint;
  /** Also write the capture bytes (default true). */
  readonly images?: boolean;
  readonly logger?: Logger;
}

/** One capture found in the outbox. */
export interface ExportedFromOutbox {
  readonly seq: bigint;
  readonly bundlePath: string | null;
  readonly imagePath: string | null;
  /** null when written; else why not (INCOMPLETE: some blocks were already delivered everywhere and left the outbox). */
  readonly reason: string | null;
}

const EXT: Record<number, string> = { 1: 'jpg', 2: 'mjpeg', 3: 'raw' };

async function readRegistrations(stateDir: string): Promise<Map<string, { suite: 1 | 2; devicePublicKey: Uint8Array; fsPublicKey: Uint8Array }>> {
  const dir = statePath(stateDir, STATE_FILES.registrations);
  const out = new Map<string, { suite: 1 | 2; devicePublicKey: Uint8Array; fsPublicKey: Uint8Array }>();
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!/^[0-9a-f]{64}\.reg$/.test(name)) continue;
    try {
      const r = decodeKeyRegistration(new Uint8Array(await fs.readFile(join(dir, name))));
      out.set(toHex(keyIdOf(r.fsPublicKey)), { suite: r.suite, devicePublicKey: r.devicePublicKey, fsPublicKey: r.fsPublicKey });
    } catch {
      /* not a registration: skipped */
    }
  }
  return out;
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
  const regs = await readRegistrations(stateDir);
  const box = await Outbox.openReadOnly({ dir: boxDir, logger: opts.logger ?? silentLogger });
  try {
    const bySeq = new Map<bigint, number[]>();
    for (const p of box.listPending()) {
      if (opts.seq !== undefined && p.seq !== opts.seq) continue;
      bySeq.set(p.seq, [...(bySeq.get(p.seq) ?? []), p.index]);
    }
    const out: ExportedFromOutbox[] = [];
    for (const [seq, indices] of bySeq) out.push(await exportOne(box, regs, seq, indices, outDir, opts.images !== false));
    return out;
  } finally {
    await box.close();
  }
}

async function exportOne(
  box: Outbox, regs: Awaited<ReturnType<typeof readRegistrations>>, seq: bigint, indices: number[], outDir: string, images: boolean,
): Promise<ExportedFromOutbox> {
  const none = (reason: string): ExportedFromOutbox => ({ seq, bundlePath: null, imagePath: null, reason });
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
  const key = regs.get(toHex(h.keyId));
  if (!key) return none('KEYID_UNREGISTERED');
  const bundle = storedBundle({ ...key, header, headerSignature, blocks });
  const json = bundleToJson(bundle);
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
  return { seq, bundlePath, imagePath, reason: null };
}
