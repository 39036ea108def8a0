/**
 * `sealcam export --out DIR (--state DIR | --from receiver-store DIR) [--seq N] [--no-images]`:
 * writes verified capture bundles (SCHEME.md Appendix) as
 * `<out>/<deviceAddr>/<seq>.json` plus the capture bytes. From a device state
 * directory it exports the captures still held in the outbox (opened
 * read-only, so the daemon may keep running); from a receiver store, every
 * complete capture.
 * Prints one JSON line per capture. Exit 0 when every capture was written,
 * 1 when some could not be (reason printed), 2 on usage errors.
 */
import { exportOutbox } from '../../device/export-outbox.js';
import { exportBundles } from '../../receiver/export.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam export --out DIR (--state DIR | --from receiver-store DIR) [--seq N] [--device ADDR] [--no-images]

  --state DIR                  device state directory: captures still held in its outbox
  --from receiver-store DIR    a receiver store (sealcam receive): every complete capture
  --seq N                      only capture N
  --device ADDR                receiver store only: only this device (40 hex digits)
  --no-images                  write bundles only, not the capture bytes`;

/** Runs the command. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, {
      out: { type: 'string', short: 'o' }, state: { type: 'string' }, from: { type: 'string', multiple: false },
      seq: { type: 'string' }, device: { type: 'string' }, 'no-images': { type: 'boolean' },
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
  let failed = 0;
  if (typeof state === 'string') {
    for (const r of await exportOutbox(state, out, { ...(seq !== undefined ? { seq } : {}), images })) {
      if (r.reason !== null) failed++;
      console.log(JSON.stringify({ seq: r.seq.toString(), bundle: r.bundlePath, image: r.imagePath, written: r.reason === null, reason: r.reason }));
    }
  } else {
    const opts = { ...(seq !== undefined ? { seq } : {}), ...(typeof device === 'string' ? { device } : {}), images };
    for (const r of await exportBundles(storeDir!, out, opts)) {
      if (!r.valid) failed++;
      console.log(JSON.stringify({ device: r.deviceAddr, seq: r.seq.toString(), bundle: r.bundlePath, image: r.imagePath, written: r.valid, reason: r.reason }));
    }
  }
  return failed > 0 ? 1 : 0;
}
