/**
 * Running arm64 binaries on this machine: qemu-user-static registered with
 * binfmt_misc (the F flag opens the interpreter at registration, so it works
 * inside a chroot that does not contain it). Uses an existing qemu-aarch64
 * registration when the machine has one; otherwise mounts binfmt_misc if
 * needed and registers the entry under the stage's own name, both recorded in
 * the area for cleanup.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Area } from './area.js';
import { mountsUnder } from './area.js';
import { ensurePackages } from './prereqs.js';
import { ok, run } from './sh.js';

const MISC = '/proc/sys/fs/binfmt_misc';
/** The stage's own entry name. */
export const BINFMT_NAME = 'sealcam-deploy-aarch64';

/** Makes arm64 ELF binaries runnable (arch-test arm64 passes). */
export async function ensureArm64Binfmt(area: Area): Promise<void> {
  await ensurePackages(['qemu-user-static', 'arch-test']);
  if (!mountsUnder(MISC).includes(MISC)) {
    await area.track({ kind: 'mount', path: MISC });
    await ok('mount', ['-t', 'binfmt_misc', 'binfmt_misc', MISC]);
  }
  const enabled = (name: string): boolean => existsSync(`${MISC}/${name}`) && readFileSync(`${MISC}/${name}`, 'utf8').startsWith('enabled');
  if (!enabled('qemu-aarch64') && !enabled(BINFMT_NAME)) {
    const conf = readFileSync('/usr/lib/binfmt.d/qemu-aarch64.conf', 'utf8').trim();
    if (!conf.startsWith(':qemu-aarch64:')) throw new Error(`unexpected /usr/lib/binfmt.d/qemu-aarch64.conf: ${conf.slice(0, 80)}`);
    await area.track({ kind: 'binfmt', name: BINFMT_NAME });
    await writeFile(`${MISC}/register`, conf.replace(/^:qemu-aarch64:/, `:${BINFMT_NAME}:`));
  }
  const t = await run('arch-test', ['arm64']);
  if (t.code !== 0) throw new Error(`arm64 binaries still do not run after registering qemu-aarch64: ${t.stdout}${t.stderr}`);
}
