// `sealcam demo` end to end, as a user runs it: a real child process, the
// embedded broker, and again on the machine's Mosquitto (--broker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
// Test-only: fixture safe primes make key generation instant.
const env = { ...process.env, SEALCAM_TEST: '1', SEALCAM_TEST_PRIMES: 'test/fixtures/safe-primes.json' };
const MOSQUITTO = process.env['SEALCAM_TEST_MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';

async function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...args], { env, timeout: 170_000, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

for (const [name, extra] of [['embedded broker', []], ['Mosquitto', ['--broker', MOSQUITTO]]] as const) {
  test(`sealcam demo passes every check (${name})`, async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sealcam-demo-')), 'run');
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
    assert.ok(existsSync(join(dir, 'receiver', 'ledger.sclg')));
  });
}

test('sealcam demo rejects bad options with exit 2', async () => {
  const r = await demo('--captures', '0');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--captures/);
});
