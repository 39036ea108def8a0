/**
 * Temp directories of the tests, one implementation: every directory made
 * here is removed when it is given back ({@link removeDir}) and, failing that,
 * when the test process exits (node:test runs each file in its own process),
 * so no test leaves one behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

function track(dir: string): string {
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of live) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** A fresh directory under the OS temp dir (removed at exit at the latest). */
export async function tempDir(prefix = 'sealcam-test-'): Promise<string> {
  return track(await mkdtemp(join(tmpdir(), prefix)));
}

/** {@link tempDir}, synchronously. */
export function tempDirSync(prefix = 'sealcam-test-'): string {
  return track(mkdtempSync(join(tmpdir(), prefix)));
}

/** Removes directories now (ignoring errors). */
export async function removeDir(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map(async (d) => {
    live.delete(d);
    await rm(d, { recursive: true, force: true });
  }));
}

/** {@link removeDir}, synchronously. */
export function removeDirSync(...dirs: string[]): void {
  for (const d of dirs) {
    live.delete(d);
    rmSync(d, { recursive: true, force: true });
  }
}

/** Runs `fn` with a fresh directory and removes it afterwards, whatever `fn` does. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    await removeDir(dir);
  }
}
