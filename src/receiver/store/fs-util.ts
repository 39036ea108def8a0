/**
 * Small durable-filesystem helpers of the receiver store: directories created
 * durably (the parent is fsynced), files read as bytes or "absent", and
 * atomic replacement (src/platform/atomic-file.ts).
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../../platform/atomic-file.js';

/** Tracks directories known to exist so each is created (and its parent fsynced) once. */
export class DirMaker {
  private readonly known = new Set<string>();

  /** Creates `dir` and missing ancestors, fsyncing the parent of each created level. */
  async ensure(dir: string): Promise<void> {
    if (this.known.has(dir)) return;
    const created: string[] = [];
    for (let d = dir; !(await exists(d)); d = dirname(d)) {
      created.unshift(d);
      if (dirname(d) === d) break;
    }
    for (const d of created) {
      await fs.mkdir(d, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      await fsyncDir(dirname(d));
    }
    this.known.add(dir);
  }

  /** Forgets `dir` and everything below it (after removal). */
  forget(dir: string): void {
    for (const d of this.known) if (d === dir || d.startsWith(dir + '/')) this.known.delete(d);
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(() => true, () => false);
}

/** The file's bytes, or null when it does not exist. @throws other fs errors. */
export async function readOptional(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Directory entries, or [] when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Atomically writes UTF-8 JSON (2-space, trailing newline). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'));
}

/** Parses a JSON file, or null when absent. @throws SyntaxError on bad JSON. */
export async function readJsonOptional(path: string): Promise<unknown> {
  const b = await readOptional(path);
  return b === null ? null : (JSON.parse(new TextDecoder().decode(b)) as unknown);
}
