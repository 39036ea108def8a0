/** `sealcam export --state` next to a running pipeline: read-only outbox, verified bundles, nothing written in the state dir. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { verifyBundle } from '../../src/dstp/bundle.js';
import { exportOutbox } from '../../src/device/export-outbox.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { toHex } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeRig } from './helpers/rig.js';
import { tempDir, cleanup } from './helpers/env.js';

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
      await cleanup(out);
    }
  });
});
