/**
 * The SDK example of README.md (the ```ts block after `<!-- sdk-example -->`)
 * runs as it stands, in a child process in a temp directory, with its
 * `sealcam/…` imports pointed at the source entry points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FAST_KEYGEN_ARGS } from '../helpers/fast-keygen.js';
import { withTempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

/** The code of the README block after the marker. */
export function readmeExample(readme: string): string {
  const m = /<!-- sdk-example -->\s*```ts\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block after <!-- sdk-example -->');
  return m[1]!;
}

test('README SDK example: about ten lines, signs and verifies with origin', async () => {
  const code = readmeExample(readFileSync(new URL('README.md', root), 'utf8'));
  const lines = code.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('import '));
  assert.ok(lines.length <= 12, `the example has ${lines.length} lines of code`);
  const runnable = code.replace(/from 'sealcam\/(sign|verify|peer)'/g, (_, e: string) => `from '${fileURLToPath(new URL(`src/sdk/${e}.ts`, root))}'`);
  assert.notEqual(runnable, code, 'the example imports sealcam/… entry points');
  await withTempDir('sealcam-readme-', async (dir) => {
    writeFileSync(`${dir}/example.mts`, runnable);
    writeFileSync(`${dir}/photo.jpg`, Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, ...new Uint8Array(2000).fill(7), 0xff, 0xd9));
    const { stdout } = await run(process.execPath, [...FAST_KEYGEN_ARGS, '--import', import.meta.resolve('tsx'), 'example.mts'], { cwd: dir });
    assert.equal(stdout.trim(), 'true true 1n');
  });
});
