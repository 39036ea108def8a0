/**
 * The verification page in a real headless Chromium (test/helpers/browser.ts),
 * served by the real `sealcam verify --web --trust …` process: files go in
 * through the page's file input and the verdict shown is asserted — a valid
 * bundle with its chain and a JPEG with Content Credentials (Verified), the
 * same bundle without a trust list (Intact but unverified origin), a tampered
 * bundle, the key-chain thieves of chain-v1.json (back-dated, endorsed into the
 * past), a plain JPEG (Not valid, each with its sentence). Every request the
 * page makes is recorded: all must be GETs of the page's own files on the
 * local server (blob: URLs of the pictures it shows are local objects); a
 * JavaScript error or console error fails the test. Screenshots of every
 * verdict go to test-artifacts/web/ (gitignored). Also the server's own
 * refusals: non-GET, paths outside the web directory, a foreign Host.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { explainReason } from '../../src/verify/explain.js';
import { makeJpeg } from '../c2pa/helpers.js';
import { launchChromium, startWebCli, type Browser, type WebCli } from '../helpers/browser.js';
import { credentialsFor, jpegBundle, photoRig, sceneJpeg } from '../helpers/photo.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/web/', import.meta.url));
const OWN_FILES = new Set(['/', '/index.html', '/app.js', '/app.css', '/favicon.svg', '/trust.json']);

let dir: string;
let cli: WebCli;
let browser: Browser;
let page: Page;
const requests: { method: string; url: string }[] = [];
const errors: string[] = [];
const files: Record<string, string> = {};

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = await tempDir('sealcam-web-');
  const rig = await photoRig('web-page');
  const { jpeg, bundle } = await jpegBundle(rig, 1, { jpeg: sceneJpeg() });
  const tampered = structuredClone(bundle) as { blocks: { data: string }[] };
  const data = Buffer.from(tampered.blocks[1]!.data, 'base64');
  data[data.length - 40] = data[data.length - 40]! ^ 0x20;
  tampered.blocks[1]!.data = data.toString('base64');
  const vectors = JSON.parse(readFileSync(new URL('../vectors/chain-v1.json', import.meta.url), 'utf8')) as { trust: unknown; cases: { label: string; bundle: unknown }[] };
  const thief = (prefix: string): unknown => vectors.cases.find((c) => c.label.startsWith(prefix))!.bundle;
  const write = async (name: string, body: string | Uint8Array): Promise<void> => {
    files[name] = join(dir, name);
    await writeFile(files[name], body);
  };
  await write('trust.json', JSON.stringify(rig.trustJson));
  await write('chain-v1-trust.json', JSON.stringify(vectors.trust));
  await write('capture.json', JSON.stringify(bundle, null, 2));
  await write('tampered.json', JSON.stringify(tampered, null, 2));
  await write('backdated.json', JSON.stringify(thief('thief: restart witnessed now')));
  await write('endorsed-into-the-past.json', JSON.stringify(thief('thief: endorsed a cycle with t0 in the past')));
  await write('plain.jpg', makeJpeg(120, 80, 5));
  await write('photo.jpg', await credentialsFor(rig, jpeg, bundle));
  await write('notes.txt', 'hello');

  cli = await startWebCli(['--trust', files['trust.json']!]);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
  });
  await page.goto(cli.url);
  await page.waitForSelector('body[data-ready="yes"]');
  await page.waitForSelector('#trust-status[data-loaded="yes"]');
});

after(async () => {
  await browser?.close();
  const code = await cli?.stop();
  await removeDir(dir);
  assert.equal(code, 0, 'sealcam verify --web stops cleanly on SIGTERM');
});

/** Drops `names` through the file input; returns each card's verdict title and sentence. */
async function verify(names: string[], shot: string): Promise<{ verdict: string; reason: string; code: string }[]> {
  await page.locator('#results').evaluate((e) => e.removeAttribute('data-state'));
  await page.setInputFiles('#file', names.map((n) => files[n]!));
  await page.waitForSelector('#results[data-state="done"]', { timeout: 60_000 });
  await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
  return page.locator('.card').evaluateAll((cards) => cards.map((c) => ({
    verdict: c.querySelector('.verdict')!.textContent!, reason: c.querySelector('.reason')!.textContent!, code: c.getAttribute('data-reason')!,
  })));
}

test('a bundle with its chain and a JPEG with Content Credentials: Verified, with maker, window, chain and C2PA status', async () => {
  const [b, p] = await verify(['capture.json', 'photo.jpg'], 'verified');
  assert.deepEqual([b!.verdict, p!.verdict], ['Verified', 'Verified']);
  assert.match(b!.reason, /^Taken by a camera of a trusted maker between 2026-01-01 00:01:00 UTC and 2026-01-01 00:01:59\.999 UTC/);
  const text = await page.locator('.card').first().innerText();
  for (const want of ['Maker', 'on your trust list', 'Owner binding', 'not bound to an owner', 'Key chain', 'C1: factory']) assert.ok(text.includes(want), want);
  const photoText = await page.locator('.card').nth(1).innerText();
  for (const want of ['Content Credentials', 'valid', 'signed under a trusted maker', 'the camera that took it']) assert.ok(photoText.includes(want), want);
  assert.equal(await page.locator('.card img').count(), 2, 'both pictures are shown');
  // the picture really decoded (a broken image has naturalWidth 0)
  assert.deepEqual(await page.locator('.card img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)), [320, 320]);
});

test('a tampered bundle, the key-chain thieves and a plain JPEG: Not valid, each reason in words', async () => {
  const r = await verify(['tampered.json', 'plain.jpg', 'notes.txt'], 'not-valid');
  assert.deepEqual(r.map((x) => x.verdict), ['Not valid', 'Not valid', 'Not valid']);
  assert.deepEqual(r.map((x) => x.code), ['BLOCK_DATA_HASH', 'C2PA_NOT_FOUND', '']);
  assert.equal(r[0]!.reason, explainReason('BLOCK_DATA_HASH'));
  assert.equal(r[1]!.reason, explainReason('C2PA_NOT_FOUND'));
  assert.match(r[2]!.reason, /neither a JPEG nor a sealcam capture bundle/);

  await page.setInputFiles('#trust-file', files['chain-v1-trust.json']!);
  await page.locator('#trust-status', { hasText: 'chain-v1-trust.json' }).waitFor();
  const t = await verify(['backdated.json', 'endorsed-into-the-past.json'], 'back-dated');
  assert.deepEqual(t.map((x) => [x.verdict, x.code]), [['Not valid', 'CHAIN_BACKDATED'], ['Not valid', 'CHAIN_ENDORSE_SIG']]);
  assert.equal(t[0]!.reason, explainReason('CHAIN_BACKDATED'));
  assert.match(t[0]!.reason, /back-dated/);
});

test('without a trust list the same bundle is Intact but unverified origin', async () => {
  await page.click('#trust-clear');
  const [b] = await verify(['capture.json'], 'intact');
  assert.equal(b!.verdict, 'Intact but unverified origin');
  assert.match(b!.reason, /no trust list is loaded/);
  assert.ok((await page.locator('.card').innerText()).includes('not established'));
});

test('a trust URL on another origin is refused by the page, not fetched; one on its own origin is loaded', async () => {
  const before = requests.length;
  await page.fill('#trust-url', 'https://example.invalid/trust.json');
  await page.click('#trust-url-form button');
  await page.waitForSelector('#trust-status[data-loaded="error"]');
  assert.match(await page.locator('#trust-status').innerText(), /only URLs on this site/);
  assert.equal(requests.length, before);
  await page.fill('#trust-url', 'trust.json');
  await page.click('#trust-url-form button');
  await page.waitForSelector('#trust-status[data-loaded="yes"]');
  // the same file picked again (as in the previous test) is verified again, now against the reloaded list
  const [b] = await verify(['capture.json'], 'verified-again');
  assert.equal(b!.verdict, 'Verified');
});

test('no request left the page: only GETs of its own files on the local server; no JavaScript error', () => {
  assert.ok(requests.length >= 4);
  for (const r of requests) {
    if (r.url.startsWith(`blob:${cli.origin}/`)) continue; // the pictures, local objects made by the page
    const u = new URL(r.url);
    assert.equal(u.origin, cli.origin, r.url);
    assert.equal(r.method, 'GET', r.url);
    assert.ok(OWN_FILES.has(u.pathname), `unexpected request ${r.url}`);
  }
  assert.ok(requests.some((r) => r.url.endsWith('/app.js')));
  assert.deepEqual(errors, []);
});

function raw(method: string, path: string, host?: string): Promise<{ status: number; body: string; csp: string | undefined }> {
  const u = new URL(cli.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(u.port), method, path, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, csp: res.headers['content-security-policy'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the server: GET of its own files only, nothing outside the web directory, its own Host only', async () => {
  const index = await raw('GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.body, /Verify a sealcam photo/);
  assert.match(index.csp ?? '', /connect-src 'self'/);
  assert.equal((await raw('GET', '/trust.json')).status, 200);
  for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) assert.equal((await raw(m, '/index.html')).status, 405, m);
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/web/../../package.json', '/%00', '/missing.js', '//etc/passwd', '/a/..%2f..%2fpackage.json']) {
    const r = await raw('GET', p);
    assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /"name": "sealcam"/);
  }
  assert.equal((await raw('GET', '/', 'evil.example:80')).status, 421);
});
