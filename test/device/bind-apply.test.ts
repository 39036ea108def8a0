/** Finishing an owner change offline (`sealcam bind --force` with no daemon running): the old owner's blocks go, the chain does not fork. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterOwnerChange } from '../../src/device/identity/bind-apply.js';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { ChainState } from '../../src/device/keys/chain-state.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ownerIdentity } from './helpers/env.js';
import { makeRig } from './helpers/rig.js';

describe('afterOwnerChange', () => {
  it('after a crash, the head only the outbox held is made durable before the old owner\'s blocks are dropped', async () => {
    const rig = await makeRig({ ownerAddr: ownerIdentity().addr, n: 3 });
    try {
      for (let k = 0; k < 2; k++) {
        const o = await rig.pipeline.process({ bytes: new Uint8Array(randomBytes(2000)), captureTime: rig.clock.now(), mode: 1, contentType: 1 });
        assert.equal(o.kind, 'queued');
      }
      await rig.pipeline.drain();
      assert.equal(rig.chain.committed, 0n, 'the daemon "crashed" with both captures only in the outbox');
      await rig.outbox.close();
      const dropped = await afterOwnerChange(rig.dir, true, parseDeviceConfig('version: 1\n'), systemClock, silentLogger);
      assert.equal(dropped, 6, "the old owner's blocks are dropped");
      const restarted = new ChainState(rig.dir);
      await restarted.load(); // the outbox no longer holds them
      assert.equal(restarted.committed, 2n, 'the chain continues from the newest capture, not from before it');
      const outbox = await Outbox.open({ dir: `${rig.dir}/outbox` });
      assert.equal(outbox.listPending().length, 0);
      await outbox.close();
    } finally {
      await rig.close();
    }
  });
});
