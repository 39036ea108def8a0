/**
 * What one part of the deploy stage starts on this machine, and its cleanup.
 * An area (docker, systemd, arm64) is a locked directory in the cache; every
 * process, mount, binfmt entry and work directory the area starts is first
 * recorded there as a small JSON file, and removed from the record once
 * cleaned up. `close()` cleans up whatever is still recorded; so does the next
 * `openArea` of the same name (after a run that was killed outright) and the
 * stage runner's final sweep (`sweepAreas`), so nothing outlives a failed or
 * interrupted run. Processes are ended by pid after checking that their
 * command line still names what was recorded (never by name alone); a
 * directory is removed only when nothing is mounted below it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lockDirectory, pidAlive, type DirLock } from '../../../src/platform/dir-lock.js';
import { cacheDir } from './cache.js';
import { ok, run } from './sh.js';

/** Something the stage started. */
export type Resource =
  /** A process we spawned; `match` must appear in its command line. */
  | { kind: 'process'; pid: number; match: string; graceMs?: number }
  /** Every process whose command line contains `match` (an area path: e.g. a container runtime's shims). */
  | { kind: 'processes-matching'; match: string }
  /**
   * A cgroup (relative path, e.g. 'sealcam-deploy/docker') in every mounted
   * hierarchy: its processes are killed and its directories removed.
   */
  | { kind: 'cgroup'; path: string }
  /** Every mount point at or below `path` (this mount namespace). */
  | { kind: 'mounts-under'; path: string }
  /** A binfmt_misc entry we registered. */
  | { kind: 'binfmt'; name: string }
  /** A file system we mounted. */
  | { kind: 'mount'; path: string }
  /** A directory of this run (removed). */
  | { kind: 'dir'; path: string };

const ORDER: Record<Resource['kind'], number> = { process: 0, 'processes-matching': 1, cgroup: 2, 'mounts-under': 3, binfmt: 4, mount: 5, dir: 6 };
const CGROUP_ROOT = '/sys/fs/cgroup';

/** A locked area of the stage. */
export interface Area {
  readonly name: string;
  /** The area's persistent directory in the cache. */
  readonly dir: string;
  /** A fresh work directory of this run (removed by close()). */
  readonly work: string;
  /** Records a resource; returns its id. */
  track(r: Resource): Promise<string>;
  /** Forgets a resource that was cleaned up normally. */
  untrack(id: string): Promise<void>;
  /** Cleans up what is still recorded and releases the area. Never throws; returns the problems. */
  close(): Promise<string[]>;
}

const log = (s: string): void => void process.stderr.write(`deploy: ${s}\n`);

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

async function endProcess(pid: number, match: string, graceMs: number): Promise<void> {
  const c = cmdline(pid);
  if (c === null || !c.includes(match)) return;
  log(`ending process ${pid} (${c.slice(0, 120)})`);
  const gone = async (ms: number): Promise<boolean> => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (!pidAlive(pid) || !(cmdline(pid) ?? '').includes(match)) return true;
    }
    return !pidAlive(pid);
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(5000);
}

/** Mount points at or below `path` in this mount namespace, deepest first. */
export function mountsUnder(path: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const p = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === path || p.startsWith(path.endsWith('/') ? path : `${path}/`)) out.push(p);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** The directories of cgroup `rel` in every hierarchy (v1 controllers and the unified one), deepest first. */
function cgroupDirs(rel: string): string[] {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(rel)) throw new RangeError(`bad cgroup path ${rel}`);
  const tops = existsSync(join(CGROUP_ROOT, 'cgroup.controllers')) ? [CGROUP_ROOT] : readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h));
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    out.push(d);
  };
  for (const t of tops) if (existsSync(join(t, rel))) walk(join(t, rel));
  return out;
}

/** Kills every process in cgroup `rel` and removes its directories. */
export async function removeCgroup(rel: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    let left = 0;
    for (const d of cgroupDirs(rel)) {
      let procs: string[] = [];
      try {
        procs = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      } catch {
        continue;
      }
      for (const p of procs) {
        left++;
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const d of cgroupDirs(rel)) {
    try {
      await rmdir(d);
    } catch (e) {
      throw new Error(`cannot remove cgroup ${d}: ${(e as Error).message}`, { cause: e });
    }
  }
}

async function clean(r: Resource): Promise<void> {
  switch (r.kind) {
    case 'process':
      return endProcess(r.pid, r.match, r.graceMs ?? 10_000);
    case 'processes-matching':
      for (const e of readdirSync('/proc')) {
        const pid = Number(e);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        if ((cmdline(pid) ?? '').includes(r.match)) await endProcess(pid, r.match, 5000);
      }
      return;
    case 'cgroup':
      return removeCgroup(r.path);
    case 'mounts-under':
      for (const m of mountsUnder(r.path)) await run('umount', ['-l', m]);
      return;
    case 'binfmt': {
      const p = `/proc/sys/fs/binfmt_misc/${r.name}`;
      if (existsSync(p)) await writeFile(p, '-1');
      return;
    }
    case 'mount':
      if (mountsUnder(r.path).includes(r.path)) await ok('umount', [r.path]);
      return;
    case 'dir': {
      if (!r.path.startsWith(`${cacheDir()}/`) && !r.path.startsWith('/run/sealcam-deploy/')) throw new Error(`refusing to remove ${r.path}: outside the stage's directories`);
      const left = mountsUnder(r.path);
      if (left.length > 0) throw new Error(`not removing ${r.path}: still mounted below it: ${left.join(', ')}`);
      await rm(r.path, { recursive: true, force: true });
      return;
    }
  }
}

/** Cleans up every record in `records` (a directory of JSON files). Returns the problems. */
async function sweepRecords(records: string): Promise<string[]> {
  if (!existsSync(records)) return [];
  const items: { file: string; r: Resource; at: number }[] = [];
  for (const f of await readdir(records)) {
    if (!f.endsWith('.json')) continue;
    try {
      const j = JSON.parse(await readFile(join(records, f), 'utf8')) as { r: Resource; at: number };
      items.push({ file: join(records, f), r: j.r, at: j.at });
    } catch {
      await unlink(join(records, f)).catch(() => {});
    }
  }
  items.sort((a, b) => ORDER[a.r.kind] - ORDER[b.r.kind] || b.at - a.at);
  const problems: string[] = [];
  for (const it of items) {
    try {
      await clean(it.r);
      await unlink(it.file).catch(() => {});
    } catch (e) {
      problems.push(`${JSON.stringify(it.r)}: ${(e as Error).message}`);
    }
  }
  return problems;
}

function areaDir(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`bad area name ${name}`);
  return join(cacheDir(), 'areas', name);
}

async function lockArea(dir: string): Promise<DirLock> {
  await mkdir(dir, { recursive: true });
  return lockDirectory(dir, {
    file: 'area.lock',
    locked: (m) => new Error(`another deploy stage is using this machine: ${m}`),
    io: (m, cause) => new Error(m, { cause }),
  });
}

/**
 * Locks the area `name` (throws when another live run holds it), cleans up
 * what a killed earlier run left recorded, and creates a fresh work directory.
 */
export async function openArea(name: string): Promise<Area> {
  const dir = areaDir(name);
  const lock = await lockArea(dir);
  const records = join(dir, 'records');
  const stale = await sweepRecords(records);
  if (stale.length > 0) {
    await lock.release();
    throw new Error(`cannot clean up what an earlier run of ${name} left:\n  ${stale.join('\n  ')}`);
  }
  await mkdir(records, { recursive: true });
  const work = join(dir, `work-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  let closed = false;
  const area: Area = {
    name, dir, work,
    async track(r) {
      const id = `${Date.now()}-${randomBytes(4).toString('hex')}`;
      await writeFile(join(records, `${id}.json`), JSON.stringify({ r, at: Date.now() }));
      return id;
    },
    async untrack(id) {
      await unlink(join(records, `${id}.json`)).catch(() => {});
    },
    async close() {
      if (closed) return [];
      closed = true;
      const problems = await sweepRecords(records);
      await lock.release();
      for (const p of problems) log(`cleanup problem in ${name}: ${p}`);
      return problems;
    },
  };
  await area.track({ kind: 'dir', path: work });
  return area;
}

/**
 * The runner's final sweep: every area not held by a live run is cleaned up.
 * Returns the problems (an area in use by another live run is one).
 */
export async function sweepAreas(): Promise<string[]> {
  const root = join(cacheDir(), 'areas');
  if (!existsSync(root)) return [];
  const problems: string[] = [];
  for (const name of await readdir(root)) {
    const dir = join(root, name);
    let lock: DirLock;
    try {
      lock = await lockArea(dir);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    try {
      problems.push(...(await sweepRecords(join(dir, 'records'))).map((p) => `${name}: ${p}`));
    } finally {
      await lock.release();
    }
  }
  return problems;
}
