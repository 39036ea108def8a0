/**
 * `sealcam sign --state-dir DIR --out OUTDIR FILE…`: signs files on this
 * machine with the device of a state directory (`sealcam keys new`) into
 * capture bundles (SCHEME.md Appendix), one `<seq>.json` per file, through the
 * SDK's CaptureSigner. Each file is one capture (mode 1; JPEG or raw),
 * time-stamped now — a signature can only ever carry the current period,
 * never an earlier one — and chained to the previous capture of the device.
 * Each bundle carries the device's key chain (SCHEME.md §7), so `sealcam
 * verify --trust` can establish its origin and time. Every bundle is verified
 * before it is written. With `--c2pa`, each JPEG also gets `<seq>.c2pa.jpg`:
 * the file with Content Credentials signed by the device key (docs/C2PA.md); a
 * device that cannot sign them (suite 1, no certificate) is refused before
 * anything is signed. Exit 0 when every file was signed.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { deviceC2paSigner, isJpeg, photoWithCredentials } from '../../device/pipeline/c2pa-photo.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { toHex, utf8 } from '../../platform/bytes.js';
import { isSealcamError } from '../../platform/errors.js';
import { CaptureSigner } from '../../sdk/sign.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam sign --state-dir DIR --out OUTDIR [--blocks C] [--c2pa] FILE...
  --blocks C   split each capture into C blocks (default 4, at most the key's n)
  --c2pa       also write each JPEG as OUTDIR/<seq>.c2pa.jpg with Content Credentials (C2PA) signed by
               the device key; needs a suite-2 device with a certificate (sealcam keys new / provision)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    'state-dir': { type: 'string' }, out: { type: 'string' }, blocks: { type: 'string' }, c2pa: { type: 'boolean' },
  }, USAGE);
  const stateDir = values['state-dir'];
  const outDir = values['out'];
  const c = values['blocks'] === undefined ? 4 : Number(values['blocks']);
  if (typeof stateDir !== 'string' || typeof outDir !== 'string' || positionals.length === 0 || !Number.isSafeInteger(c) || c < 1 || c > 256) {
    console.error(USAGE);
    return 2;
  }
  await mkdir(outDir, { recursive: true });
  const signer = await CaptureSigner.open(stateDir);
  let failed = 0;
  try {
    const c2pa = values['c2pa'] === true ? await deviceC2paSigner(stateDir, signer.identity) : null;
    for (const file of positionals) {
      const bytes = new Uint8Array(await readFile(file));
      if (bytes.length === 0) {
        console.error(`${file}: empty file, not signed`);
        failed++;
        continue;
      }
      const s = await signer.sign(bytes, { blocks: c, contentType: isJpeg(bytes) ? 1 : 3 });
      const path = join(outDir, `${s.seq}.json`);
      await writeFileAtomic(path, utf8(JSON.stringify(s.bundle, null, 2) + '\n'), { mode: 0o644 });
      let photo: string | null = null;
      if (c2pa && isJpeg(bytes)) {
        try {
          const withCredentials = await photoWithCredentials(bytes, s.bundle, c2pa);
          photo = join(outDir, `${s.seq}.c2pa.jpg`);
          await writeFileAtomic(photo, withCredentials, { mode: 0o644 });
        } catch (e) {
          if (!isSealcamError(e)) throw e;
          // e.g. C2PA_ALREADY_PRESENT (the file carries credentials already), C2PA_JPEG_MALFORMED
          console.error(`${file}: no Content Credentials: ${e.code}: ${e.message} (the bundle is written)`);
          failed++;
        }
      } else if (c2pa) console.error(`${file}: not a JPEG, no Content Credentials (the bundle is written)`);
      console.log(JSON.stringify({
        file: basename(file), bundle: path, seq: s.seq.toString(), ts: s.ts.toString(), period: s.period, blocks: s.blocks,
        headerDigest: toHex(s.headerDigest), ...(c2pa ? { photo } : {}),
      }));
    }
  } finally {
    await signer.close();
  }
  return failed === 0 ? 0 : 1;
}
