/**
 * `sealcam export --out DIR (--state DIR [--c2pa] | --from receiver-store DIR) [--seq N] [--no-images]`:
 * writes verified capture bundles (SCHEME.md Appendix) as
 * `<out>/<deviceAddr>/<seq>.json` plus the capture bytes. From a device state
 * directory it exports the captures still held in the outbox (opened
 * read-only, so the daemon may keep running); with `--c2pa` it also writes
 * each JPEG capture as `<seq>.c2pa.jpg` with Content Credentials signed by
 * the device key (docs/C2PA.md), which needs the keystore for a moment (stop
 * the daemon first). From a receiver store, every complete capture, and
 * `<seq>.c2pa.jpg` for each JPEG capture whose device sent its capture-time
 * C2PA manifest (verified on receipt; docs/C2PA.md "Credentials through the
 * receiver"): the receiver needs no device key for that, and `--c2pa` is
 * only for `--state`.
 * Prints one JSON line per capture. Exit 0 when every capture was written,
 * 1 when some could not be (reason printed), 2 on usage errors.
 */
import { exportOutbox } from '../export-outbox.js';
import { exportBundles } from '../../receiver/export.js';
import { readKeyFile } from '../../receiver/identity.js';
import { openDeviceSigner, photoWithCredentials, type OpenedSigner } from '../../device/pipeline/c2pa-photo.js';
import { KeyStoreError } from '../../keystore/keystore.js';
import { SealcamError } from '../../platform/errors.js';
import { parse } from '../args.js';

/** What a receiver export says about JPEGs without Content Credentials (their device sent no capture-time manifest). */
export const RECEIVER_NO_C2PA = 'sealcam export: some JPEGs have no Content Credentials: their device sent no capture-time C2PA manifest (a suite-1 device,' +
  ' one without a certificate, or an older daemon); on the device: sealcam export --state DIR --c2pa, or sealcam sign --c2pa (docs/C2PA.md)';

/** The device signer of a state directory; a locked keystore (running daemon) becomes a clear message. */
async function openSigner(state: string): Promise<OpenedSigner> {
  try {
    return await openDeviceSigner(state);
  } catch (e) {
    if (e instanceof KeyStoreError && e.code === 'KEYSTORE_LOCKED') {
      throw new SealcamError('KEYSTORE_LOCKED', `--c2pa signs with the device key, and a running daemon holds the keystore of ${state}: stop it first (or export without --c2pa)`, { cause: e });
    }
    throw e;
  }
}

const USAGE = `usage: sealcam export --out DIR (--state DIR [--c2pa] | --from receiver-store DIR) [--seq N] [--device ADDR] [--no-images] [--key FILE]

  --state DIR                  device state directory: captures still held in its outbox
  --c2pa                       state directory only: also write each JPEG capture as <seq>.c2pa.jpg with Content
                               Credentials (C2PA) signed by the device key (a suite-2 device with a certificate;
                               reads the keystore, so stop a running daemon first)
  --from receiver-store DIR    a receiver store (sealcam receive): every complete capture
  --seq N                      only capture N
  --device ADDR                receiver store only: only this device (40 hex digits)
  --key FILE                   receiver store only: the receiver's key file; its own witness acknowledgement
                               then goes into restarted key chains (without it, a restart the receiver alone
                               witnessed leaves the bundle without its chain: integrity only)
  --no-images                  write bundles only, not the capture bytes`;

/** Runs the command. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, {
      out: { type: 'string', short: 'o' }, state: { type: 'string' }, from: { type: 'string', multiple: false },
      seq: { type: 'string' }, device: { type: 'string' }, 'no-images': { type: 'boolean' }, key: { type: 'string' }, c2pa: { type: 'boolean' },
    }, USAGE, true);
  const { values, positionals } = parsed;
  const out = values['out'];
  const state = values['state'];
  const from = values['from'];
  const seqText = values['seq'];
  const device = values['device'];
  let storeDir: string | undefined;
  if (from !== undefined) {
    if (from !== 'receiver-store' || positionals.length !== 1) {
      console.error(`--from takes 'receiver-store DIR'\n${USAGE}`);
      return 2;
    }
    storeDir = positionals[0];
  } else if (positionals.length > 0) {
    console.error(USAGE);
    return 2;
  }
  if (typeof out !== 'string' || (typeof state === 'string') === (storeDir !== undefined) || (seqText !== undefined && !/^[0-9]{1,20}$/.test(String(seqText)))) {
    console.error(USAGE);
    return 2;
  }
  const seq = seqText === undefined ? undefined : BigInt(String(seqText));
  const images = values['no-images'] !== true;
  const c2pa = values['c2pa'] === true;
  if (c2pa && typeof state !== 'string') {
    console.error('sealcam export: --c2pa needs --state DIR: from a receiver store, <seq>.c2pa.jpg is written without it whenever the device' +
      ' sent its capture-time C2PA manifest (on the device: sealcam export --state DIR --c2pa, or sealcam sign --c2pa)');
    return 2;
  }
  let failed = 0;
  if (typeof state === 'string') {
    const opened = c2pa ? await openSigner(state) : null;
    try {
      const credentials = opened ? { credentials: (jpeg: Uint8Array, bundle: Record<string, unknown>) => photoWithCredentials(jpeg, bundle, opened.signer) } : {};
      for (const r of await exportOutbox(state, out, { ...(seq !== undefined ? { seq } : {}), images, ...credentials })) {
        if (r.reason !== null) failed++;
        console.log(JSON.stringify({
          seq: r.seq.toString(), bundle: r.bundlePath, image: r.imagePath, ...(c2pa ? { photo: r.photoPath } : {}), written: r.reason === null, reason: r.reason,
        }));
      }
    } finally {
      opened?.close();
    }
  } else {
    const identity = typeof values['key'] === 'string' ? await readKeyFile(values['key']) : undefined;
    const opts = { ...(seq !== undefined ? { seq } : {}), ...(typeof device === 'string' ? { device } : {}), images, ...(identity ? { identity } : {}) };
    let jpegs = 0;
    for (const r of await exportBundles(storeDir!, out, opts)) {
      if (!r.valid) failed++;
      if (r.imagePath?.endsWith('.jpg') && r.photoPath === null) jpegs++;
      console.log(JSON.stringify({ device: r.deviceAddr, seq: r.seq.toString(), bundle: r.bundlePath, image: r.imagePath, photo: r.photoPath, written: r.valid, reason: r.reason, chain: r.chain }));
    }
    if (jpegs > 0) console.error(RECEIVER_NO_C2PA);
  }
  return failed > 0 ? 1 : 0;
}
