/**
 * Device-side binding on real state directories (src/device/identity/bind.ts): bind,
 * persisted nonce registry, refusals, re-issue, unbind rules; and the
 * hand-over to a running daemon through the inbox (bind-inbox.ts), with this
 * test process playing the daemon (a real SIGHUP handler).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { applyOwnerRequest, loadNonces, parseOwnerRequest, type OwnerRequest } from '../../src/device/identity/bind.js';
import { processInbox, runningDaemonPid, submitToDaemon } from '../../src/device/identity/bind-inbox.js';
import { initDeviceState, loadDeviceIdentity, type DeviceIdentity } from '../../src/device/identity/identity.js';
import { fixtureKeygen } from './helpers/env.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { recordToJson } from '../../src/ledger/record-codec.js';
import { signBindRequest, signUnbindRecord, verifyRecord } from '../../src/ledger/records.js';
import { toHex } from '../../src/platform/bytes.js';
import { silentLogger } from '../../src/platform/logger.js';
import { makeIdentity } from '../../src/receiver/identity.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const nonce = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const person = (): ReturnType<typeof makeIdentity> => makeIdentity(1, ecdsaRandomSecret(1));

async function device(): Promise<{ dir: string; ks: MemoryKeyStore; id: () => Promise<DeviceIdentity> }> {
  const dir = await tempDir('sealcam-bindcore-');
  const ks = new MemoryKeyStore();
  (await initDeviceState(dir, { keystore: ks, factory: 'dev', params: { k: 2048, n: 2, T: 16, delta: 60_000 }, keygen: await fixtureKeygen() })).destroy();
  return { dir, ks, id: () => loadDeviceIdentity(dir, ks) };
}

function bindReq(owner: ReturnType<typeof person>, deviceAddr: Uint8Array, n: number): OwnerRequest {
  return parseOwnerRequest(recordToJson(signBindRequest({ ownerSuite: 1, ownerSecret: owner.secret, deviceAddr, nonce: nonce(n) })));
}
function unbindReq(owner: ReturnType<typeof person>, deviceAddr: Uint8Array, n: number): OwnerRequest {
  return parseOwnerRequest(recordToJson(signUnbindRecord({ ownerSuite: 1, ownerSecret: owner.secret, deviceAddr, nonce: nonce(n) })));
}

async function code(p: Promise<unknown>, c: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => e.code === c, `expected ${c}`);
}

describe('applyOwnerRequest', () => {
  it('binds, persists the nonce, refuses reuse, other owners and foreign requests; unbinds only for the owner', async () => {
    const { dir, id } = await device();
    const [alice, bob] = [person(), person()];
    try {
      let me = await id();
      const ctx = (pending = 0): Parameters<typeof applyOwnerRequest>[0] => ({ stateDir: dir, identity: me, ownerPending: () => pending });
      const r = await applyOwnerRequest(ctx(), bindReq(alice, me.address, 1));
      assert.equal(toHex(r.ownerAfter), toHex(alice.addr));
      assert.equal(verifyRecord(r.record), null);
      assert.ok((await stat(r.recordFile)).isFile());
      me.destroy();
      me = await id();
      assert.equal(toHex(me.ownerAddr), toHex(alice.addr), 'owner.json is loaded with the identity');
      assert.ok((await loadNonces(dir)).has(nonce(1)), 'nonce persisted');

      await code(applyOwnerRequest(ctx(), bindReq(alice, me.address, 1)), 'BIND_NONCE_REUSED');
      await code(applyOwnerRequest(ctx(), bindReq(bob, me.address, 2)), 'BIND_ALREADY_BOUND');
      assert.ok(!(await loadNonces(dir)).has(nonce(2)), 'a refused request does not burn its nonce');
      await code(applyOwnerRequest(ctx(), bindReq(alice, new Uint8Array(20).fill(5), 3)), 'BIND_DEVICE_MISMATCH');
      const again = await applyOwnerRequest(ctx(), bindReq(alice, me.address, 4));
      assert.equal(toHex(again.ownerBefore), toHex(again.ownerAfter), 'the same owner re-issues with a fresh nonce');

      await code(applyOwnerRequest(ctx(), unbindReq(bob, me.address, 5)), 'BIND_NOT_OWNER');
      await code(applyOwnerRequest(ctx(3), unbindReq(alice, me.address, 6)), 'BIND_OWNER_PENDING');
      assert.ok(!(await loadNonces(dir)).has(nonce(6)));
      const un = await applyOwnerRequest(ctx(3), unbindReq(alice, me.address, 6), { force: true });
      assert.equal(toHex(un.ownerAfter), '00'.repeat(20));
      await assert.rejects(stat(join(dir, 'owner.json')));
      me.destroy();
      me = await id();
      assert.equal(me.bound, false);
      await code(applyOwnerRequest(ctx(), unbindReq(alice, me.address, 7)), 'BIND_NOT_BOUND');
      const bobs = await applyOwnerRequest(ctx(), bindReq(bob, me.address, 2));
      assert.equal(toHex(bobs.ownerAfter), toHex(bob.addr), 're-binding to a new owner after the unbind');
      me.destroy();
      assert.equal((await readdir(join(dir, 'records'))).length, 4);

      assert.throws(() => parseOwnerRequest(JSON.parse(JSON.stringify(recordToJson(me.factory)))), { code: 'BIND_REQUEST_KIND' });
      const short = recordToJson(signBindRequest({ ownerSuite: 1, ownerSecret: bob.secret, deviceAddr: me.address, nonce: nonce(8) }));
      assert.throws(() => parseOwnerRequest({ ...short, nonce: String(short.nonce).slice(2) }), { code: 'RECORD_FORMAT' }, 'a 31-byte nonce');
      await writeFile(join(dir, 'nonces.bin'), 'garbage');
      me = await id();
      await code(applyOwnerRequest(ctx(), bindReq(bob, me.address, 9)), 'BIND_NONCE_FORMAT');
      me.destroy();
    } finally {
      await removeDir(dir);
    }
  });
});

describe('daemon inbox', () => {
  it('hands a request to the process holding the keystore (SIGHUP) and returns its answer', async () => {
    const dir = await tempDir('sealcam-inbox-');
    const seen: unknown[] = [];
    const onHup = (): void => void processInbox(dir, async (req) => {
      seen.push(req.request);
      return req.force ? { ok: true, echo: req.request } : { ok: false, code: 'X', message: 'no' };
    }, silentLogger);
    process.on('SIGHUP', onHup);
    try {
      assert.deepEqual(await submitToDaemon(dir, process.pid, { request: { a: 1 }, force: true }, 10_000), { ok: true, echo: { a: 1 } });
      assert.deepEqual(await submitToDaemon(dir, process.pid, { request: 'x', force: false }, 10_000), { ok: false, code: 'X', message: 'no' });
      assert.deepEqual(seen, [{ a: 1 }, 'x']);
      await writeFile(join(dir, 'inbox', '0123456789abcdef.req.json'), '{"request": 1, "force": "yes"}');
      assert.equal(await processInbox(dir, async () => ({ ok: true }), silentLogger), 1);
      const names = await readdir(join(dir, 'inbox'));
      assert.deepEqual(names, ['0123456789abcdef.res.json'], 'the malformed request was answered and removed');
      process.off('SIGHUP', onHup);
      process.on('SIGHUP', () => {}); // a daemon that never answers
      await assert.rejects(submitToDaemon(dir, process.pid, { request: 1, force: false }, 300), { code: 'INBOX_TIMEOUT' });
      assert.equal((await readdir(join(dir, 'inbox'))).filter((n) => n.endsWith('.req.json')).length, 0, 'withdrawn');
    } finally {
      process.removeAllListeners('SIGHUP');
      await removeDir(dir);
    }
  });

  it('finds the running daemon from the keystore lock and the health file', async () => {
    const dir = await tempDir('sealcam-pid-');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      assert.equal(await runningDaemonPid(dir), null, 'no lock');
      await mkdir(join(dir, 'keys'));
      await writeFile(join(dir, 'keys', 'lock'), `${sleeper.pid} ${'ab'.repeat(16)}\n`);
      await assert.rejects(runningDaemonPid(dir), { code: 'INBOX_BUSY' }, 'a live lock holder that is not the daemon');
      await writeFile(join(dir, 'health.json'), JSON.stringify({ pid: sleeper.pid }));
      assert.equal(await runningDaemonPid(dir), sleeper.pid);
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
      assert.equal(await runningDaemonPid(dir), null, 'a stale lock');
    } finally {
      sleeper.kill('SIGKILL');
      await removeDir(dir);
    }
  });
});
