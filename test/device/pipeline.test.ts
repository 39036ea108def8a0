/** Capture pipeline: signed, chained, verifiable blocks in the outbox; restamping; full outbox; bounds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/crypto/hash.js';
import { headerDigest, decodeHeader } from '../../src/dstp/header.js';
import { verifyBlock } from '../../src/dstp/verify.js';
import type { ProcessOutcome } from '../../src/device/pipeline/pipeline.js';
import { ManualClock } from '../../src/platform/clock.js';
import { concat, toHex } from '../../src/platform/bytes.js';
import { decodeFsPublicKey } from '../../src/scheme/index.js';
import { decodeMessage, MessageKind, type BlockMessage } from '../../src/transport/messages.js';
import { CapturePipeline } from '../../src/device/pipeline/pipeline.js';
import { CaptureHasher, type CaptureHashes } from '../../src/device/pipeline/hasher.js';
import { silentLogger } from '../../src/platform/logger.js';
import { makeRig, type Rig } from './helpers/rig.js';

const still = (bytes: Uint8Array, t: bigint) => ({ bytes, captureTime: t, mode: 1 as const, contentType: 1 as const });

async function blocksOf(rig: Rig, seq: bigint): Promise<BlockMessage[]> {
  const out: BlockMessage[] = [];
  for (const p of rig.outbox.listPending().filter((r) => r.seq === seq)) {
    const m = decodeMessage({ kind: MessageKind.BLOCK, payload: (await rig.outbox.read(p.seq, p.index)).data });
    assert.equal(m.type, 'block');
    out.push(m as BlockMessage);
  }
  return out.sort((a, b) => a.index - b.index);
}

function verifyAll(rig: Rig, blocks: BlockMessage[]): void {
  const h = decodeHeader(blocks[0]!.header);
  const entry = rig.km.chain.find((e) => toHex(sha256(e.publicKey)) === toHex(h.keyId));
  assert.ok(entry, 'the signing cycle is in the key chain');
  const ctx = { devicePublicKey: rig.identity.publicKey, suite: rig.identity.suite, fsPublicKey: decodeFsPublicKey(entry.publicKey) };
  for (const b of blocks) {
    assert.equal(verifyBlock(ctx, b.header, b.headerSignature, { i: b.index, off: b.off, len: b.len, blockHash: sha256(b.data), proof: b.proof, fsSignature: b.fsSignature, data: b.data }), null);
  }
}

describe('CapturePipeline', () => {
  it('queues each capture as n verifiable blocks with strictly increasing seqs and an intact prevHeaderDigest chain', async () => {
    const rig = await makeRig({ n: 3 });
    try {
      const caps = [0, 1, 2, 3].map((k) => randomBytes(k === 3 ? (1 << 20) + 4321 : 5000 + 17 * k)); // the last one takes the parallel hash path
      const outcomes: ProcessOutcome[] = await Promise.all(caps.map((c) => rig.pipeline.process(still(c, rig.clock.now()))));
      assert.deepEqual(outcomes.map((o) => (o.kind === 'queued' ? o.seq : o.reason)), [1n, 2n, 3n, 4n]);
      let prev: Uint8Array = new Uint8Array(32);
      for (let k = 0; k < caps.length; k++) {
        const blocks = await blocksOf(rig, BigInt(k + 1));
        assert.equal(blocks.length, 3, 'equal split into n blocks when no storage server reports space');
        verifyAll(rig, blocks);
        const h = decodeHeader(blocks[0]!.header);
        assert.equal(toHex(h.prevHeaderDigest), toHex(prev), `capture ${k + 1} chains to the previous one`);
        assert.equal(toHex(concat(...blocks.map((b) => b.data))), toHex(caps[k]!), 'blocks reassemble the capture');
        assert.equal(toHex(h.captureHash), toHex(sha256(caps[k]!)), 'captureHash is H(capture)');
        assert.equal(toHex(h.ownerAddr), '00'.repeat(20));
        assert.equal(toHex(h.manufacturerAddr), toHex(rig.identity.manufacturerAddr));
        prev = headerDigest(blocks[0]!.header);
      }
      await rig.chain.flush();
      assert.equal(rig.chain.committed, 4n);
      assert.equal(rig.pipeline.stats.queued, 4);
      assert.deepEqual(rig.outbox.listPending()[0]!.pending, ['owner'], 'unbound device with no other destination keeps captures for the owner');
    } finally {
      await rig.close();
    }
  });

  it('a capture whose period key was erased meanwhile is re-stamped with the current time and still verifies', async () => {
    const clock = new ManualClock(1_800_000_000_000n);
    const rig = await makeRig({ clock, deltaMs: 1000, T: 8 });
    try {
      const taken = clock.now() + 900n; // period 1
      clock.advance(1500); // the key manager is now in period 2
      await rig.km.keyFor(clock.now());
      const out = await rig.pipeline.process(still(randomBytes(2000), taken));
      assert.equal(out.kind, 'queued');
      const blocks = await blocksOf(rig, 1n);
      const h = decodeHeader(blocks[0]!.header);
      assert.equal(h.ts, clock.now(), 'ts moved to the signing time');
      assert.equal(h.m, 2);
      assert.equal(rig.pipeline.stats.restamped, 1);
      verifyAll(rig, blocks);
    } finally {
      await rig.close();
    }
  });

  it('outbox full: the signed capture waits and is stored later, new captures are refused UNSIGNED, nothing is lost', async () => {
    const rig = await makeRig({ n: 2, maxRecords: 4 });
    try {
      const now = (): bigint => rig.clock.now();
      assert.equal((await rig.pipeline.process(still(randomBytes(800), now()))).kind, 'queued');
      assert.equal((await rig.pipeline.process(still(randomBytes(800), now()))).kind, 'queued');
      const third = rig.pipeline.process(still(randomBytes(800), now())); // signed, then OUTBOX_FULL
      await new Promise<void>((r) => rig.pipeline.once('full', () => r()));
      const fourth = await rig.pipeline.process(still(randomBytes(800), now()));
      assert.deepEqual(fourth, { kind: 'refused', reason: 'OUTBOX_FULL' });
      assert.equal(rig.pipeline.stats.signed, 3, 'the refused capture was never signed');
      for (const seq of [1n, 2n]) for (const i of [1, 2]) await rig.outbox.ack('owner', seq, i); // delivered: room again
      const out3 = await third;
      assert.equal(out3.kind === 'queued' && out3.seq, 3n, 'the waiting signed capture got stored');
      assert.equal(rig.pipeline.full, false);
      const fifth = await rig.pipeline.process(still(randomBytes(800), now()));
      assert.equal(fifth.kind, 'queued');
      assert.equal(rig.pipeline.stats.lost, 0);
      assert.equal(rig.pipeline.stats.refusedFull, 1);
      assert.equal(toHex(decodeHeader((await blocksOf(rig, fifth.kind === 'queued' ? fifth.seq : 0n))[0]!.header).prevHeaderDigest),
        toHex(headerDigest((await blocksOf(rig, 3n))[0]!.header)), 'the chain skips the refused capture cleanly');
    } finally {
      await rig.close();
    }
  });

  it('hash workers: blocks go from the shared buffer to the outbox without a copy; the buffer is reused once stored', async () => {
    const rig = await makeRig({ n: 3 });
    const buffers: ArrayBufferLike[] = [];
    const hasher = new (class extends CaptureHasher {
      override async hash(bytes: Uint8Array, blocks: readonly { off: number; len: number }[]): Promise<CaptureHashes> {
        const h = await super.hash(bytes, blocks);
        buffers.push(h.bytes.buffer);
        return h;
      }
    })({ workers: 2, minParallelBytes: 0, pooled: 1 });
    const pipeline = new CapturePipeline({
      identity: rig.identity, keys: rig.km, chain: rig.chain, outbox: rig.outbox, destinations: () => ['owner'],
      servers: (n) => Array.from({ length: n }, () => ({ free: null })), maxBlockBytes: 1 << 20, clock: rig.clock, logger: silentLogger, hasher,
    });
    try {
      const caps = [randomBytes(3000), randomBytes(4001), randomBytes(5002)];
      const stored: string[] = [];
      pipeline.on('stored', (s) => stored.push(toHex(concat(...s.payloads.flat())))); // valid during the event
      for (const c of caps) assert.equal((await pipeline.process(still(c, rig.clock.now()))).kind, 'queued');
      assert.ok(buffers.every((b) => b instanceof SharedArrayBuffer));
      assert.equal(buffers[1], buffers[0], 'released after the store, then reused');
      assert.equal(buffers[2], buffers[0]);
      for (let k = 0; k < caps.length; k++) {
        const blocks = await blocksOf(rig, BigInt(k + 1));
        verifyAll(rig, blocks);
        assert.equal(toHex(concat(...blocks.map((b) => b.data))), toHex(caps[k]!), `capture ${k + 1} intact although its buffer was reused`);
        const payloads = await Promise.all(blocks.map(async (b) => toHex((await rig.outbox.read(BigInt(k + 1), b.index)).data)));
        assert.equal(stored[k], payloads.join(''), "the 'stored' payloads are what the outbox holds");
      }
    } finally {
      pipeline.stop();
      await pipeline.drain();
      await hasher.close();
      await rig.close();
    }
  });

  it('the next capture is hashed while the one before it is still being signed, and still chains to it', async () => {
    const rig = await makeRig({ n: 2 });
    const events: string[] = [];
    const hasher = new (class extends CaptureHasher {
      override async hash(bytes: Uint8Array, blocks: readonly { off: number; len: number }[]): Promise<CaptureHashes> {
        events.push(`hash ${bytes.length}`);
        return super.hash(bytes, blocks);
      }
    })({ workers: 0 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const keys = {
      keyFor: (ts: bigint) => rig.km.keyFor(ts),
      signBlocks: async (ts: bigint, seq: bigint, digests: readonly Uint8Array[], first?: number) => {
        events.push(`sign ${seq}`);
        if (seq === 1n) await gate; // capture 1 stays in its signing step
        return rig.km.signBlocks(ts, seq, digests, first);
      },
    };
    const pipeline = new CapturePipeline({
      identity: rig.identity, keys, chain: rig.chain, outbox: rig.outbox, destinations: () => ['owner'],
      servers: (n) => Array.from({ length: n }, () => ({ free: null })), maxBlockBytes: 1 << 20, clock: rig.clock, logger: silentLogger, hasher,
    });
    try {
      const caps = [randomBytes(3000), randomBytes(4001)];
      const outcomes = caps.map((c) => pipeline.process(still(c, rig.clock.now())));
      while (events.length < 3) await new Promise((r) => setImmediate(r));
      assert.deepEqual(events, ['hash 3000', 'hash 4001', 'sign 1'], 'capture 2 hashed while capture 1 is being signed');
      open();
      assert.deepEqual((await Promise.all(outcomes)).map((o) => (o.kind === 'queued' ? o.seq : o.reason)), [1n, 2n]);
      assert.deepEqual(events, ['hash 3000', 'hash 4001', 'sign 1', 'sign 2']);
      const first = await blocksOf(rig, 1n);
      const second = await blocksOf(rig, 2n);
      verifyAll(rig, first);
      verifyAll(rig, second);
      assert.equal(toHex(decodeHeader(second[0]!.header).prevHeaderDigest), toHex(headerDigest(first[0]!.header)));
    } finally {
      pipeline.stop();
      await pipeline.drain();
      await rig.close();
    }
  });

  it('refuses, unsigned, a capture larger than n blocks can carry', async () => {
    const rig = await makeRig({ n: 2, maxBlockBytes: 1000 });
    try {
      const out = await rig.pipeline.process(still(randomBytes(2001), rig.clock.now()));
      assert.equal(out.kind === 'refused' && out.reason, 'TOO_LARGE');
      assert.equal(rig.pipeline.stats.signed, 0);
      assert.equal(rig.outbox.listPending().length, 0);
      assert.equal((await rig.pipeline.process(still(randomBytes(2000), rig.clock.now()))).kind, 'queued');
    } finally {
      await rig.close();
    }
  });
});
