/**
 * Programs inside a root filesystem of another architecture (through the
 * binfmt_misc qemu entry): `unshare --mount` gives the program a private mount
 * namespace in which /proc, /dev, the host's resolv.conf and the requested
 * bind mounts are mounted, then `chroot` runs it with a clean environment.
 * The mounts vanish with the namespace when the program exits (nothing to
 * unmount on the host), and signals sent to the child reach the program
 * itself (each step execs the next).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ensurePackages } from './prereqs.js';
import { run, type Ran, type RunOptions } from './sh.js';

/** A host path visible inside. */
export interface Bind {
  readonly host: string;
  /** Absolute path inside the root. */
  readonly inside: string;
  readonly readOnly?: boolean;
  /** The host path is a file (default: a directory). */
  readonly file?: boolean;
}

/** Options of a program in a root. */
export interface InRootOptions {
  /** Environment inside (PATH defaults to /usr/local/bin:/usr/bin:/bin). */
  readonly env?: Record<string, string>;
  readonly binds?: readonly Bind[];
  /** Working directory inside (default /). */
  readonly workdir?: string;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function argvFor(root: string, argv: readonly string[], o: InRootOptions): string[] {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', ...o.env };
  const steps = [
    'set -e', `R=${q(root)}`,
    'mount -t proc proc "$R/proc"', 'mount --rbind /dev "$R/dev"', 'mount --bind /etc/resolv.conf "$R/etc/resolv.conf"',
  ];
  for (const b of o.binds ?? []) {
    if (!b.inside.startsWith('/')) throw new RangeError(`bind target must be absolute: ${b.inside}`);
    const t = `"$R"${q(b.inside)}`;
    steps.push(b.file ? `mkdir -p "$(dirname ${t})" && touch ${t}` : `mkdir -p ${t}`, `mount --bind ${q(b.host)} ${t}`);
    if (b.readOnly) steps.push(`mount -o remount,bind,ro ${t}`);
  }
  steps.push(`exec chroot "$R" /usr/bin/env -i ${Object.entries(env).map(([k, v]) => q(`${k}=${v}`)).join(' ')} sh -c ${q(`cd ${q(o.workdir ?? '/')} && exec "$@"`)} sh "$@"`);
  return ['--mount', '--propagation', 'private', 'sh', '-c', steps.join('\n'), 'sh', ...argv];
}

/** Runs `argv` inside `root` to completion. */
export async function runInRoot(root: string, argv: readonly string[], o: InRootOptions & RunOptions = {}): Promise<Ran> {
  await ensurePackages(['util-linux']);
  return run('unshare', argvFor(root, argv, o), o);
}

/** Starts `argv` inside `root` (a long-running program; stdout/stderr piped). */
export function spawnInRoot(root: string, argv: readonly string[], o: InRootOptions = {}): ChildProcessWithoutNullStreams {
  return spawn('unshare', argvFor(root, argv, o), { stdio: ['pipe', 'pipe', 'pipe'] });
}
