/**
 * Verifies exported capture bundles on this machine (x86-64) with this
 * checkout's build, trusting one manufacturer (`sealcam verify --trust`):
 * every bundle must be VALID with its origin established (the key chain from
 * the manufacturer's leave-factory record), which checks every signed byte.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../env/sh.js';
import { ROOT } from '../../helpers/daemon.js';
import { removeDir, tempDir } from '../../helpers/temp.js';

/** A manufacturer as `sealcam verify --trust` takes it. */
export interface TrustedManufacturer {
  readonly suite: number;
  readonly publicKey: string;
}

/** Asserts that every bundle file verifies VALID with origin under `manufacturer`; returns how many. */
export async function assertBundlesValid(files: readonly string[], manufacturer: TrustedManufacturer, what: string): Promise<number> {
  assert.ok(files.length > 0, `${what}: no bundles`);
  const dir = await tempDir('sealcam-trust-');
  try {
    const trust = join(dir, 'trust.json');
    await writeFile(trust, JSON.stringify({ manufacturers: [{ suite: manufacturer.suite, publicKey: manufacturer.publicKey }] }));
    const r = await run(process.execPath, [join(ROOT, 'bin/sealcam.js'), 'verify', '--json', '--trust', trust, ...files]);
    const verdicts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; verdict: string; origin: boolean; reason: string | null });
    const bad = verdicts.filter((v) => v.verdict !== 'VALID' || !v.origin);
    assert.deepEqual(bad.map((v) => `${v.file}: ${v.verdict} ${v.reason ?? ''}`), [], `${what}: every bundle VALID with its origin established`);
    assert.equal(verdicts.length, files.length, `${what}: one verdict per bundle (${r.stderr.slice(-500)})`);
    assert.equal(r.code, 0, `${what}: sealcam verify exit ${r.code}: ${r.stderr.slice(-500)}`);
    return verdicts.length;
  } finally {
    await removeDir(dir);
  }
}
