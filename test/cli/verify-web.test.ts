/**
 * `sealcam verify --web` argument handling (the page and the server itself are
 * tested in test/web/page.test.ts): it takes only --trust and --port, a port in
 * [0, 65535], a readable, valid trust file; --port needs --web. Each refusal
 * is exit 2 before anything listens.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { removeDir, tempDir } from '../helpers/temp.js';

test('verify --web refuses files, other options, bad ports and bad trust files (exit 2)', async () => {
  const dir = await tempDir('sealcam-web-args-');
  try {
    const bad = join(dir, 'bad-trust.json');
    await writeFile(bad, '{"manufacturers": "nope"}');
    const cases: string[][] = [
      ['verify', '--web', 'capture.json'],
      ['verify', '--web', '--json'],
      ['verify', '--web', '--min-witnesses', '2'],
      ['verify', '--web', '--port', '70000'],
      ['verify', '--web', '--port', '-1'],
      ['verify', '--web', '--port', 'eighty'],
      ['verify', '--port', '8080', 'capture.json'],
      ['verify', '--web', '--trust', join(dir, 'missing.json')],
      ['verify', '--web', '--trust', bad],
    ];
    for (const argv of cases) assert.equal(await main(argv), 2, argv.join(' '));
  } finally {
    await removeDir(dir);
  }
});
