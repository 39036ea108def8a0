import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, link, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBlob } from '../../src/keystore/blob-format.js';
import { FileKeyStore, KEYSTORE_FILES, type FileKeyStoreOptions } from '../../src/keystore/file-store.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const KEY = new Uint8Array(32).fill(0x42);
const code = (c: string) => (e: unknown) => isSealcamError(e, c);
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

async function withDir(fn: (dir: string, base: string) => Promise<void>): Promise<void> {
  const base = await tempDir('sealcam-fs-');
  try {
    await fn(join(base, 'keys'), base);
  } finally {
    await removeDir(base);
  }
}

async function using(opts: FileKeyStoreOptions, fn: (s: FileKeyStore) => Promise<void>): Promise<void> {
  const s = await FileKeyStore.open({ credentialsDirectory: null, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

describe('FileKeyStore', () => {
  it('creates the directory 0700 and files 0600, fixing wider modes', () =>
    withDir(async (dir) => {
      await mkdir(dir, { mode: 0o755 });
      await chmod(dir, 0o755);
      await using({ dir }, async (s) => {
        await s.saveCycleState(fill(10, 1));
        await s.saveMeta({ chain: [] });
      });
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      await chmod(join(dir, KEYSTORE_FILES.cycle), 0o644);
      await using({ dir }, async (s) => assert.deepEqual((await s.load()).cycleState, fill(10, 1)));
      for (const f of [KEYSTORE_FILES.cycle, KEYSTORE_FILES.meta]) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    }));

  it('keeps only the blob files: no backups, no temp files, nothing after discard', () =>
    withDir(async (dir) => {
      await using({ dir, key: KEY }, async (s) => {
        for (let i = 0; i < 20; i++) await s.saveCycleState(fill(100, i));
        await s.saveNextCycle(fill(100, 99));
        await s.promoteNextCycle(fill(100, 98));
        await s.saveNextCycle(fill(10, 97));
        await s.discardNextCycle();
        assert.deepEqual((await readdir(dir)).sort(), [KEYSTORE_FILES.cycle, 'lock']);
      });
      assert.deepEqual(await readdir(dir), [KEYSTORE_FILES.cycle]);
    }));

  it('seals with the key: nothing readable without it, wrong key and tampering are coded errors', () =>
    withDir(async (dir) => {
      const secret = fill(300, 0x77);
      await using({ dir, key: KEY }, async (s) => s.saveCycleState(secret));
      const raw = await readFile(join(dir, KEYSTORE_FILES.cycle));
      assert.equal(raw.includes(Buffer.from(secret.subarray(0, 16))), false);
      await assert.rejects(using({ dir }, async (s) => void (await s.load())), code('KEYSTORE_KEY_REQUIRED'));
      await assert.rejects(using({ dir, key: fill(32, 1) }, async (s) => void (await s.load())), code('KEYSTORE_DECRYPT'));
      raw[raw.length - 20]! ^= 0x80;
      await writeFile(join(dir, KEYSTORE_FILES.cycle), raw);
      await assert.rejects(using({ dir, key: KEY }, async (s) => void (await s.load())), code('KEYSTORE_DECRYPT'));
    }));

  it('refuses a swapped file (next-cycle content under the cycle name)', () =>
    withDir(async (dir) => {
      await using({ dir, key: KEY }, async (s) => s.saveNextCycle(fill(50, 5)));
      await writeFile(join(dir, KEYSTORE_FILES.cycle), await readFile(join(dir, KEYSTORE_FILES.next)));
      await assert.rejects(using({ dir, key: KEY }, async (s) => void (await s.load())), code('KEYSTORE_FORMAT'));
    }));

  it('reads the key from the systemd credential; a malformed credential or a required missing key fail', () =>
    withDir(async (dir, base) => {
      const cred = join(base, 'creds');
      await mkdir(cred);
      await writeFile(join(cred, 'sealcam.key'), Buffer.from(KEY).toString('hex'));
      await using({ dir, credentialsDirectory: cred }, async (s) => {
        assert.equal(s.encrypted, true);
        await s.saveCycleState(fill(20, 3));
      });
      await using({ dir, key: KEY }, async (s) => assert.deepEqual((await s.load()).cycleState, fill(20, 3)));
      await writeFile(join(cred, 'sealcam.key'), 'not a key');
      await assert.rejects(FileKeyStore.open({ dir, credentialsDirectory: cred }), code('KEYSTORE_KEY_FORMAT'));
      await assert.rejects(FileKeyStore.open({ dir, credentialsDirectory: null, requireEncryption: true }), code('KEYSTORE_KEY_REQUIRED'));
    }));

  it('refuses plaintext blobs once keyed, unless migration is asked for (then re-seals them)', () =>
    withDir(async (dir) => {
      await using({ dir }, async (s) => {
        assert.equal(s.encrypted, false);
        await s.saveCycleState(fill(30, 6));
      });
      await assert.rejects(using({ dir, key: KEY }, async (s) => void (await s.load())), code('KEYSTORE_PLAINTEXT'));
      await using({ dir, key: KEY, migratePlaintext: true }, async (s) => assert.deepEqual((await s.load()).cycleState, fill(30, 6)));
      await assert.rejects(using({ dir }, async (s) => void (await s.load())), code('KEYSTORE_KEY_REQUIRED'));
      await using({ dir, key: KEY }, async (s) => assert.deepEqual((await s.load()).cycleState, fill(30, 6)));
    }));

  it('removes leftover temp files of interrupted writes on open', () =>
    withDir(async (dir) => {
      await using({ dir }, async (s) => s.saveCycleState(fill(8, 1)));
      await writeFile(join(dir, `.${KEYSTORE_FILES.cycle}.0123456789ab.tmp`), fill(8, 2));
      await using({ dir }, async (s) => assert.deepEqual((await s.load()).cycleState, fill(8, 1)));
      assert.deepEqual(await readdir(dir), [KEYSTORE_FILES.cycle]);
    }));

  it('finishes an interrupted promotion (cycle already equals next-cycle)', () =>
    withDir(async (dir) => {
      await using({ dir, key: KEY }, async (s) => s.saveNextCycle(fill(40, 8)));
      await writeFile(join(dir, KEYSTORE_FILES.cycle), encodeBlob(KEYSTORE_FILES.cycle, fill(40, 8), KEY));
      await using({ dir, key: KEY }, async (s) => {
        const snap = await s.load();
        assert.deepEqual(snap.cycleState, fill(40, 8));
        assert.equal(snap.nextCycle, null);
      });
      assert.deepEqual(await readdir(dir), [KEYSTORE_FILES.cycle]);
    }));

  it('overwrites the replaced file (a hard link to the old inode reads zeros afterwards)', () =>
    withDir(async (dir, base) => {
      await using({ dir }, async (s) => {
        await s.saveCycleState(fill(5000, 0xee));
        await link(join(dir, KEYSTORE_FILES.cycle), join(base, 'old-inode'));
        await s.saveCycleState(fill(5000, 0x11));
        const old = await readFile(join(base, 'old-inode'));
        assert.equal(old.length > 5000, true);
        assert.equal(old.every((b) => b === 0), true);
      });
    }));

  it('locks the directory against a second live user and takes over a stale lock', () =>
    withDir(async (dir) => {
      await using({ dir }, async () => {
        await assert.rejects(FileKeyStore.open({ dir, credentialsDirectory: null }), code('KEYSTORE_LOCKED'));
      });
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      assert.ok(dead);
      await writeFile(join(dir, 'lock'), `${dead} ${'ab'.repeat(16)}\n`);
      await using({ dir }, async (s) => s.saveCycleState(fill(4, 4)));
    }));

  it('reports a corrupt file with a code, not a crash', () =>
    withDir(async (dir) => {
      await using({ dir }, async (s) => s.saveMeta({ chain: [] }));
      await writeFile(join(dir, KEYSTORE_FILES.meta), 'garbage');
      await assert.rejects(using({ dir }, async (s) => void (await s.load())), code('KEYSTORE_FORMAT'));
    }));
});
