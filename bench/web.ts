/**
 * Browser verification benchmark (`npm run bench -- --only web`): N capture
 * bundles (JPEG 640×480 in 4 blocks, k = 3072, a suite-2 device with its key
 * chain) are verified by the verification page in the same headless Chromium
 * as the tests (test/helpers/browser.ts), served by the real `sealcam verify
 * --web` (so `npm run build` must have run), and by verifyCaptureBundle in
 * this Node process — the same code, with BigInt modexp and @noble/hashes in
 * the browser, OpenSSL in Node. Reported per capture, wall time of the
 * verification itself (parse + verify; the page's own data-verify-ms): the
 * browser's first pass (exponents derived with JavaScript Miller–Rabin) and
 * its second (exponents cached), Node's steady state. No targets.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseJsonStrict } from '../src/platform/strict-json.js';
import { verifyCaptureBundle } from '../src/verify/capture.js';
import { CHROMIUM, launchChromium, startWebCli } from '../test/helpers/browser.js';
import { jpegBundle, photoRig, sceneJpeg } from '../test/helpers/photo.js';
import type { Row } from './row.js';

export type { Row } from './row.js';

const N = 8;

/** Runs the browser-vs-Node verification benchmark. */
export async function benchWeb(): Promise<Row[]> {
  const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} (apt-get install chromium)` : !existsSync(new URL('../dist/web/index.html', import.meta.url)) ? 'dist/web (npm run build)' : null;
  if (missing !== null) return [{ group: 'web', metric: `not measured: ${missing} is missing`, value: NaN, unit: '' }];
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-web-'));
  try {
    process.stderr.write(`  web: signing ${N} bundles (k=3072)…\n`);
    const rig = await photoRig('bench-web', { k: 3072 });
    const texts: string[] = [];
    const paths: string[] = [];
    for (let n = 1; n <= N; n++) {
      const { bundle } = await jpegBundle(rig, n, { jpeg: sceneJpeg(640, 480), blocks: 4 });
      texts.push(JSON.stringify(bundle));
      paths.push(join(dir, `capture-${n}.json`));
      await writeFile(paths[n - 1]!, texts[n - 1]!);
    }
    const trustPath = join(dir, 'trust.json');
    await writeFile(trustPath, JSON.stringify(rig.trustJson));
    const trust = (await import('../src/chain/json.js')).readTrust(rig.trustJson);

    // Node: one pass to warm up, then the mean of three.
    const nodeRun = (): number => {
      const t = performance.now();
      for (const text of texts) {
        const v = verifyCaptureBundle(parseJsonStrict(text), { trust, keyCache: new Map() });
        if (!v.origin) throw new Error(`bench bundle did not verify: ${v.reason}`);
      }
      return (performance.now() - t) / N;
    };
    process.stderr.write('  web: Node…\n');
    nodeRun();
    const node = (nodeRun() + nodeRun() + nodeRun()) / 3;

    process.stderr.write('  web: Chromium…\n');
    const cli = await startWebCli(['--trust', trustPath]);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      page.on('pageerror', (e) => process.stderr.write(`bench web: page error: ${e.message}\n`));
      await page.goto(cli.url);
      await page.waitForSelector('#trust-status[data-loaded="yes"]');
      const pass = async (): Promise<number> => {
        await page.locator('#results').evaluate((e) => e.removeAttribute('data-state'));
        await page.setInputFiles('#file', paths);
        await page.waitForSelector('#results[data-state="done"]', { timeout: 600_000 });
        const cards = await page.locator('.card').evaluateAll((cs) => cs.map((c) => [c.getAttribute('data-verdict'), c.getAttribute('data-verify-ms')]));
        if (cards.length !== N || cards.some(([v]) => v !== 'verified')) throw new Error(`the page did not verify every bundle: ${JSON.stringify(cards)}`);
        return cards.reduce((a, [, ms]) => a + Number(ms), 0) / N;
      };
      const cold = await pass();
      const warm = await pass();
      const g = `web: verify a capture (JPEG 640x480, 4 blocks, k=3072, chain C1, ${N} bundles)`;
      return [
        { group: g, metric: 'browser (Chromium, BigInt modexp, @noble/hashes), first pass', value: Math.round(cold * 10) / 10, unit: 'ms/capture' },
        { group: g, metric: 'browser, exponents cached', value: Math.round(warm * 10) / 10, unit: 'ms/capture' },
        { group: g, metric: 'Node (OpenSSL), same bundles, exponents cached', value: Math.round(node * 10) / 10, unit: 'ms/capture' },
      ];
    } finally {
      await browser.close();
      await cli.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchWeb()) console.log(`${r.metric.padEnd(62)} ${String(r.value).padStart(10)} ${r.unit}`);
}
