// `sealcam demo` end to end, as a user runs it: a real child process, the
// embedded broker, and again on the machine's Mosquitto (--broker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FAST_KEYGEN_ARGS } from '../helpers/fast-keygen.js';
import { withTempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const MOSQUITTO = process.env['SEALCAM_TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

async function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...FAST_KEYGEN_ARGS, '--import', 'tsx', 'src/cli/main.ts', 'demo', ...args], { timeout: 170_000, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

for (const [name, extra] of [['embedded broker', []], ['Mosquitto', ['--broker', MOSQUITTO]]] as const) {
  test(`sealcam demo passes every check (${name})`, async () => {
    await withTempDir('sealcam-demo-', async (tmp) => {
      const dir = join(tmp, 'run');
      const r = await demo('--captures', '8', '--dir', dir, '--period-ms', '700', '--interval-ms', '150', ...extra);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /RESULT: OK/);
      const signed = Number(/captures signed\s+(\d+)/.exec(r.stdout)?.[1]);
      assert.ok(signed >= 8, r.stdout);
      assert.match(r.stdout, new RegExp(`${signed} captures verified and reassembled`));
      assert.match(r.stdout, /tampered block .* → REJECTED [A-Z_]+/);
      assert.match(r.stdout, /replayed block .* → DUPLICATE/);
      assert.match(r.stdout, /verify-store OK/);
      const bundles = readdirSync(join(dir, 'bundles'), { recursive: true }).filter((f) => String(f).endsWith('.json'));
      assert.equal(bundles.length, signed);
      // the device signs Content Credentials for each JPEG capture; each verifies (sealcam and C2PA, trusted)
      const photos = readdirSync(join(dir, 'bundles'), { recursive: true }).filter((f) => String(f).endsWith('.c2pa.jpg'));
      assert.equal(photos.length, signed);
      assert.match(r.stdout, new RegExp(`photos \\(C2PA\\)\\s+${signed}/${signed} JPEGs with Content Credentials`));
      assert.match(r.stdout, new RegExp(`${signed} written by the receiver from the device's capture-time manifests`), 'the receiver wrote every photo');
      assert.ok(existsSync(join(dir, 'receiver', 'ledger.sclg')));
    });
  });
}

test('sealcam demo rejects bad options with exit 2', async () => {
  const r = await demo('--captures', '0');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--captures/);
});
