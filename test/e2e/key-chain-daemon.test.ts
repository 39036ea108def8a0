/**
 * The key chain of a real daemon (SCHEME.md §7 v1.1), as processes: the
 * daemon (child process, fake rpicam-vid) streams to the owner's receiver over
 * TCP with cycles of 6 s. It rolls over two cycles (each endorsed by its
 * predecessor), is switched off for longer than a whole cycle, comes back and
 * restarts its chain (the owner witnesses the restart; nothing is signed
 * before). Every exported bundle — before the gap and after it — is VALID for
 * `sealcam verify --trust` with the device's maker and the owner as witness,
 * and only INTACT without the trust file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readChain } from '../../src/chain/json.js';
import { toHex } from '../../src/platform/bytes.js';
import { parseJsonStrict } from '../../src/platform/strict-json.js';
import { waitFor } from '../helpers/wait.js';
import { daemonRig } from './rig.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('a daemon rolls over two cycles, is off for more than a cycle, restarts its chain; every bundle verifies with --trust', async () => {
  const T = 4;
  const periodMs = 1500; // a 6 s cycle: keygen (≈0.5 s here, several s on a loaded machine) fits in the 70 % of it left after nextCycleAt
  const rig = await daemonRig('sealcam-keychain-', { n: 2, T, periodMs, intervalMs: 200, nextCycleAt: 0.3 });
  const { dir, stateDir, owner, identity, rcv } = rig;
  const keyIds = (): Set<string> => new Set([...rcv.captures.values()].map((c) => c.keyId));
  try {
    let d = await rig.spawn();
    // (C1 was made when the state was provisioned; if it ended before the daemon ran, the daemon restarted the chain at once)
    const endorsed = async (): Promise<number> => {
      const text = await readFile(join(stateDir, 'keychain.json'), 'utf8').catch(() => null);
      return text === null ? 0 : readChain(parseJsonStrict(text), '$', true).keys.filter((k) => k.link?.kind === 'endorse').length;
    };
    await waitFor(async () => (await endorsed()) >= 2 && keyIds().size >= 3, 'two rollovers by endorsement, captures of three key cycles', 90_000)
      .catch((e: unknown) => {
        console.error(d.logs.filter((l) => String(l.msg).startsWith('keys') || String(l.msg).includes('key')).map((l) => JSON.stringify(l)).join('\n'));
        throw e;
      });
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    const before = rcv.captures.size;
    const chainBefore = readChain(parseJsonStrict(await readFile(join(stateDir, 'keychain.json'), 'utf8')), '$', true);
    // switched off for longer than a whole cycle (and its pre-generated successor): the chain breaks
    await new Promise((r) => setTimeout(r, 2 * T * periodMs + 500));
    d = await rig.spawn();
    await waitFor(() => rcv.captures.size >= before + 4, 'captures after the restart', 60_000);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    await rcv.stop();
    assert.deepEqual(rcv.rejected, [], 'the owner rejected nothing');

    const chain = readChain(parseJsonStrict(await readFile(join(stateDir, 'keychain.json'), 'utf8')), '$', true);
    const links = chain.keys.map((k) => k.link?.kind ?? 'factory');
    assert.equal(links[0], 'factory');
    const kindsBefore = chainBefore.keys.map((k) => k.link?.kind ?? 'factory');
    assert.ok(kindsBefore.filter((k) => k === 'endorse').length >= 2, `two rollovers by endorsement before the gap: ${kindsBefore}`);
    assert.equal(kindsBefore.at(-1), 'endorse', 'the running chain was unbroken when the device went off');
    assert.equal(links.slice(kindsBefore.length).find((k) => k !== 'endorse'), 'restart', `after the gap the chain restarted: ${links}`);
    const restart = chain.keys[kindsBefore.length]!.link!;
    assert.ok(restart.kind === 'restart');
    assert.ok(restart.acks.some((a) => toHex(a.serverPublicKey) === toHex(owner.publicKey)), 'the owner witnessed the restart');

    // export (with the owner's key: its own witness acknowledgements go in) and verify as a third party would
    const out = join(dir, 'bundles');
    const keyFile = join(dir, 'owner.key.json');
    await writeFile(keyFile, JSON.stringify({ suite: owner.suite, secret: toHex(owner.secret) }), { mode: 0o600 });
    const sh = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const ex = sh('export', '--out', out, '--key', keyFile, '--from', 'receiver-store', join(dir, 'store'));
    assert.equal(ex.status, 0, ex.stdout + ex.stderr);
    const files = (await readdir(join(out, toHex(identity.address)))).filter((f) => f.endsWith('.json')).map((f) => join(out, toHex(identity.address), f));
    assert.equal(files.length, rcv.captures.size);
    const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: number; publicKey: string };
    const trust = join(dir, 'trust.json');
    await writeFile(trust, JSON.stringify({ manufacturers: [{ suite: man.suite, publicKey: man.publicKey }], witnesses: [{ suite: owner.suite, publicKey: toHex(owner.publicKey) }] }));
    const v = sh('verify', '--json', '--trust', trust, ...files);
    assert.ok(v.stdout.trim() !== '', `verify printed nothing: ${v.stderr}`);
    const verdicts = v.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; verdict: string; reason: string | null; validFrom: number | null });
    assert.deepEqual(verdicts.filter((x) => x.verdict !== 'VALID').map((x) => `${x.file}: ${x.reason}`), []);
    assert.equal(v.status, 0);
    assert.equal(verdicts.length, files.length);
    const intact = sh('verify', files[0]!);
    assert.equal(intact.status, 1);
    assert.match(intact.stdout, /^INTACT/m);
  } finally {
    await rig.close();
  }
});
