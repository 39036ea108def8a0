/**
 * A Debian root filesystem booted with systemd as PID 1 in a container:
 * `systemd-nspawn -D ROOT -b --register=no --keep-unit --console=passive`
 * (no machined, no host systemd needed), in a cgroup of its own, sharing the
 * host network. Commands run inside through `nsenter` into the container's
 * namespaces, one by one or in a persistent bash session that keeps shell
 * variables and aliases between commands like a terminal would.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Area } from './area.js';
import { ensurePackages } from './prereqs.js';
import { GiveUp, run, terminate, until, type Ran, type RunOptions } from './sh.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A booted container. */
export interface Machine {
  readonly name: string;
  /** Host path of its root directory. */
  readonly root: string;
  /** Host pid of its PID 1. */
  readonly leader: number;
  /** Runs `argv` inside (clean environment, root, cwd /root). */
  exec(argv: readonly string[], o?: RunOptions): Promise<Ran>;
  /** Runs a bash script inside. */
  bash(script: string, o?: RunOptions): Promise<Ran>;
  /** Opens a persistent bash session inside. */
  shell(): ShellSession;
  /** Powers the container off (SIGTERM to nspawn), then waits for it. */
  stop(): Promise<void>;
}

/** Shell code that moves this shell into cgroup `rel` of the pids/systemd/unified hierarchies (or the v2 root). */
function joinCgroupScript(rel: string): string {
  const root = '/sys/fs/cgroup';
  const dirs = existsSync(`${root}/cgroup.controllers`) ? [`${root}/${rel}`] : ['pids', 'systemd', 'unified'].filter((h) => existsSync(`${root}/${h}`)).map((h) => `${root}/${h}/${rel}`);
  return dirs.map((d) => `mkdir -p '${d}' && echo $$ > '${d}/cgroup.procs'`).join(' && ');
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** Boots the root filesystem at `root` as machine `name` and waits until systemd reports running (or degraded). */
export async function bootMachine(area: Area, root: string, name: string): Promise<Machine> {
  await ensurePackages(['systemd-container', 'util-linux']);
  if (!/^[a-z0-9-]{1,40}$/.test(name)) throw new RangeError(`bad machine name ${name}`);
  const cg = `sealcam-deploy-nspawn-${name}`;
  await area.track({ kind: 'cgroup', path: cg });
  const args = ['-D', root, '-b', '--register=no', '--keep-unit', '--console=passive', `--machine=${name}`];
  const child = spawn('sh', ['-c', `${joinCgroupScript(cg)} && exec systemd-nspawn "$@"`, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const add = (d: Buffer): void => void (log = (log + d.toString()).slice(-20_000));
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  const nspawnId = await area.track({ kind: 'process', pid: child.pid!, match: root, graceMs: 60_000 });
  let leader: number;
  try {
    leader = await until(() => {
      if (child.exitCode !== null) throw new GiveUp(`systemd-nspawn exited (${child.exitCode}): ${log}`);
      return childrenOf(child.pid!).find((p) => (readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0')[0] ?? '').endsWith('systemd'));
    }, 'the container to start systemd', 60_000, 100);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const leaderId = await area.track({ kind: 'process', pid: leader, match: 'systemd', graceMs: 1000 });
  const enter = ['-t', String(leader), '-a'];
  const exec = (argv: readonly string[], o: RunOptions = {}): Promise<Ran> =>
    run('nsenter', [...enter, 'env', '-i', `PATH=${PATH}`, 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb', 'sh', '-c', 'cd /root && exec "$@"', 'sh', ...argv], o);
  const state = await until(async () => {
    if (child.exitCode !== null) throw new GiveUp(`systemd-nspawn exited (${child.exitCode}): ${log}`);
    const r = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: 120_000 });
    const s = r.stdout.trim();
    return s === 'running' || s === 'degraded' ? s : undefined;
  }, 'systemd in the container to finish booting', 120_000, 500);
  if (state === 'degraded') {
    const failed = await exec(['systemctl', '--failed', '--no-legend', '--plain']);
    process.stderr.write(`deploy: ${name} booted degraded: ${failed.stdout.trim()}\n`);
  }
  return {
    name, root, leader, exec,
    bash: (script, o) => exec(['bash', '-c', script], o),
    shell: () => new ShellSession(spawn('nsenter', [...enter, 'env', '-i', `PATH=${PATH}`, 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb', 'USER=root',
      'sh', '-c', 'cd /root && exec bash --noprofile --norc -O expand_aliases -s'], { stdio: ['pipe', 'pipe', 'pipe'] })),
    async stop() {
      await terminate(child, 60_000);
      await area.untrack(nspawnId);
      await until(() => !existsSync(`/proc/${leader}`) || !(readFileSync(`/proc/${leader}/cmdline`, 'latin1').includes('systemd')), 'the container init to exit', 30_000, 100);
      await area.untrack(leaderId);
    },
  };
}

/**
 * A persistent bash inside a container, fed one command at a time (stdin of
 * each command is /dev/null; shell variables and aliases persist). Each
 * command's stdout and stderr are collected up to an end marker.
 */
export class ShellSession {
  private out = '';
  private err = '';
  private n = 0;
  private closed = false;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    child.once('exit', () => (this.closed = true));
  }

  /** Runs one command line (or a few lines) and returns its exit status and output. */
  async run(cmd: string, timeoutMs = 300_000): Promise<Ran> {
    const mark = `__SEALCAM_END_${++this.n}_${process.pid}__`;
    this.child.stdin.write(`{\n${cmd}\n} </dev/null\n__rc=$?; printf '\\n%s %d\\n' ${mark} $__rc; printf '\\n%s\\n' ${mark} >&2\n`);
    const outRe = new RegExp(`\\n${mark} (\\d+)\\n`);
    const errRe = `\n${mark}\n`;
    const r = await until(() => {
      if (this.closed) throw new Error(`the shell exited while running: ${cmd}`);
      const m = outRe.exec(this.out);
      const e = this.err.indexOf(errRe);
      return m && e >= 0 ? { m, e } : undefined;
    }, `\`${cmd.slice(0, 200)}\``, timeoutMs, 50);
    const stdout = this.out.slice(0, r.m.index);
    const stderr = this.err.slice(0, r.e);
    this.out = this.out.slice(r.m.index + r.m[0].length);
    this.err = this.err.slice(r.e + errRe.length);
    return { code: Number(r.m[1]), signal: null, stdout, stderr };
  }

  /** Ends the session. */
  close(): void {
    if (!this.closed) this.child.stdin.end();
  }
}
