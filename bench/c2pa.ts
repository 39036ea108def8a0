/**
 * Content Credentials benchmarks (`npm run bench -- --only c2pa`, or
 * standalone: `node --import tsx bench/c2pa.ts`): on a real 1920×1080 JPEG
 * (jpeg-js, quality 90, ~390 KiB), the CPU time to add credentials (device ES256
 * signature, chain [device, maker CA], a DSTP vector case as the sealcam
 * assertion), the file-size overhead in bytes and %, and the CPU time to read
 * and validate (maker CA as trust anchor) — each with SHA-256 from node:crypto
 * (the CLI/daemon) and from @noble/hashes (the browser default). No targets:
 * issue 11 asks for the figures.
 */
import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { addC2pa, defaultSha256, readC2pa, stripC2pa, validateC2pa, type Sha256 } from '../src/c2pa/index.js';
import { sha256 as nodeSha256 } from '../src/crypto/hash.js';
import { SeededRng } from '../src/platform/rng.js';
import { capturePayload, makePki, NOW } from '../test/c2pa/helpers.js';
import type { Row } from './row.js';

export type { Row } from './row.js';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A 1920×1080 photo-like JPEG: smooth gradients plus sensor-like noise, quality 90. */
function jpeg1080p(): Uint8Array {
  const w = 1920;
  const h = 1080;
  const data = Buffer.alloc(w * h * 4);
  let seed = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = (seed >>> 24) % 6;
      const i = (y * w + x) * 4;
      data[i] = (x * 255) / w + n;
      data[i + 1] = (y * 255) / h + n;
      data[i + 2] = 128 + 100 * Math.sin(x / 40) * Math.cos(y / 55) + n;
      data[i + 3] = 255;
    }
  }
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 90).data);
}

/** Mean CPU ms of `fn` over `n` runs after one warm-up. */
async function cpuPerOp(n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const t = cpuMs();
  for (let k = 0; k < n; k++) await fn();
  return (cpuMs() - t) / n;
}

const row = (metric: string, value: number, unit: string): Row => ({ group: 'c2pa', metric, value: Math.round(value * 100) / 100, unit });

/** Runs every Content Credentials benchmark. */
export async function benchC2pa(): Promise<Row[]> {
  const photo = jpeg1080p();
  const pki = await makePki();
  const capture = capturePayload();
  const rows: Row[] = [];
  rows.push(row('1080p JPEG (jpeg-js q90) size', photo.length / 1024, 'KiB'));
  let signed: Uint8Array = new Uint8Array(0);
  for (const [name, sha256] of [['node:crypto', nodeSha256], ['@noble/hashes', defaultSha256]] as [string, Sha256][]) {
    const add = async (): Promise<void> => {
      signed = await addC2pa(photo, { signer: pki.signer, capture, rng: new SeededRng('bench'), generator: { name: 'sealcam', version: '0.1.0' }, sha256 });
    };
    rows.push(row(`add credentials to a 1080p JPEG, SHA-256 ${name} (CPU)`, await cpuPerOp(50, add), 'ms'));
    const validate = async (): Promise<void> => {
      const v = await validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca], sha256 });
      if (!v.valid || !v.trusted) throw new Error(`bench: validation failed ${JSON.stringify(v.failures)}`);
    };
    rows.push(row(`read + validate (trust anchor), SHA-256 ${name} (CPU)`, await cpuPerOp(50, validate), 'ms'));
  }
  rows.push(row('read only (parse manifest store, no hashing) (CPU)', await cpuPerOp(50, async () => readC2pa(signed)), 'ms'));
  if (stripC2pa(signed).length !== photo.length) throw new Error('bench: strip did not give the original back');
  const sealcamBytes = readC2pa(signed).active.assertions.find((a) => a.label === 'org.sealcam.capture')!.content.length;
  rows.push(row('file-size overhead (manifest segments)', signed.length - photo.length, 'bytes'));
  rows.push(row('file-size overhead', ((signed.length - photo.length) / photo.length) * 100, '%'));
  rows.push(row('  of which the sealcam assertion (DSTP case, 3 blocks)', sealcamBytes, 'bytes'));
  rows.push(row('  of which the certificate chain (device + maker CA)', pki.device.length + pki.ca.length, 'bytes'));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchC2pa()) console.log(`${r.metric.padEnd(62)} ${String(r.value).padStart(10)} ${r.unit}`);
}
