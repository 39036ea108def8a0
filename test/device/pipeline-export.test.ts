/** `sealcam export --state` next to a running pipeline: read-only outbox, verified bundles, nothing written in the state dir. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { verifyBundle } from '../../src/dstp/bundle.js';
import { exportOutbox } from '../../src/cli/export-outbox.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { toHex } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { stripC2pa } from '../../src/c2pa/index.js';
import { readTrust } from '../../src/chain/json.js';
import { deviceC2paSigner, photoWithCredentials } from '../../src/device/pipeline/c2pa-photo.js';
import { readDeviceChain } from '../../src/device/identity/certificate.js';
import { verifyPhoto } from '../../src/verify/photo.js';
import { makeJpeg, readWithWasm } from '../c2pa/helpers.js';
import { makeRig } from './helpers/rig.js';
import { removeDir, tempDir } from '../helpers/temp.js';

/** Every file under `dir` with its size and mtime. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    const st = await fs.stat(p);
    out.push(`${relative(dir, p)} ${st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

describe('exportOutbox', () => {
  it('exports verified bundles while the pipeline holds the outbox, writing nothing in the state directory', async () => {
    const rig = await makeRig({ n: 3 });
    const out = await tempDir('sealcam-export-');
    try {
      const caps = [randomBytes(6000), randomBytes((1 << 20) + 777), randomBytes(3000)];
      for (const c of caps) assert.equal((await rig.pipeline.process({ bytes: c, captureTime: rig.clock.now(), mode: 1, contentType: 1 })).kind, 'queued');
      assert.equal(await rig.outbox.ack('owner', 3n, 2), true); // capture 3 has left the outbox in part
      await rig.chain.flush();
      await rig.km.whenIdle();
      await assert.rejects(Outbox.open({ dir: join(rig.dir, 'outbox') }), (e) => isSealcamError(e, 'OUTBOX_LOCKED'), 'a second writer is refused');
      const before = await tree(rig.dir);

      const res = await exportOutbox(rig.dir, out, {});
      assert.deepEqual(await tree(rig.dir), before, 'export created, changed or removed nothing in the state directory');
      assert.deepEqual(res.map((r) => [r.seq, r.reason]), [[1n, null], [2n, null], [3n, 'INCOMPLETE']]);
      for (const [k, r] of res.slice(0, 2).entries()) {
        const json = JSON.parse(await fs.readFile(r.bundlePath!, 'utf8')) as Parameters<typeof verifyBundle>[0];
        const v = verifyBundle(json);
        assert.equal(v.valid, true, v.reason ?? '');
        assert.equal(toHex(await fs.readFile(r.imagePath!)), toHex(caps[k]!), `capture ${k + 1} bytes`);
      }
      // The pipeline keeps working after the export.
      assert.equal((await rig.pipeline.process({ bytes: randomBytes(100), captureTime: rig.clock.now(), mode: 1, contentType: 1 })).kind, 'queued');
    } finally {
      await rig.close();
      await removeDir(out);
    }
  });

  it('--c2pa: each JPEG capture also as <seq>.c2pa.jpg, signed by the device key; it verifies as a photo and strips back to the capture', async () => {
    const rig = await makeRig({ n: 3 });
    const out = await tempDir('sealcam-export-c2pa-');
    try {
      const jpeg = makeJpeg(160, 120, 11);
      const raw = randomBytes(2000);
      assert.equal((await rig.pipeline.process({ bytes: jpeg, captureTime: rig.clock.now(), mode: 1, contentType: 1 })).kind, 'queued');
      assert.equal((await rig.pipeline.process({ bytes: raw, captureTime: rig.clock.now(), mode: 1, contentType: 3 })).kind, 'queued');
      await rig.chain.flush();
      await rig.km.whenIdle();
      const signer = await deviceC2paSigner(rig.dir, rig.identity);
      const res = await exportOutbox(rig.dir, out, { credentials: (j, b) => photoWithCredentials(j, b, signer) });
      assert.deepEqual(res.map((r) => [r.seq, r.reason, r.photoPath === null]), [[1n, null, false], [2n, null, true]], 'only the JPEG gets credentials');
      const photo = new Uint8Array(await fs.readFile(res[0]!.photoPath!));
      assert.match(res[0]!.photoPath!, /1\.c2pa\.jpg$/);
      assert.deepEqual(stripC2pa(photo), jpeg, 'the capture is the photo minus its C2PA segments, byte for byte');
      const maker = JSON.parse(await fs.readFile(join(rig.dir, 'manufacturer.pub.json'), 'utf8')) as { suite: 1 | 2; publicKey: string };
      const trust = readTrust({ manufacturers: [{ suite: maker.suite, publicKey: maker.publicKey }], witnesses: [] });
      const v = await verifyPhoto(photo, { at: new Date(), trust });
      assert.deepEqual([v.valid, v.reason, v.origin, v.c2pa.trusted, v.sameDevice], [true, null, true, true, true]);
      const sdk = await readWithWasm(photo, (await readDeviceChain(rig.dir))!.at(-1));
      assert.equal(sdk.state, 'Trusted', JSON.stringify(sdk));
    } finally {
      await rig.close();
      await removeDir(out);
    }
  });
});
