/** Capture hashing (streams, worker pool, shared buffers) and BLOCK payload parts: same bytes as the reference, every path. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { sha256 } from '../../src/crypto/hash.js';
import { blockPayloadParts } from '../../src/device/pipeline/capture-signer.js';
import { captureStreams, fromStreams, HASH_WORKER_SOURCE, newClaims, runStreams } from '../../src/device/pipeline/hash-streams.js';
import { CaptureHasher, type CaptureHashes } from '../../src/device/pipeline/hasher.js';
import { concat, toHex } from '../../src/platform/bytes.js';
import { encodeMessage, type BlockMessage } from '../../src/transport/messages.js';

/** Contiguous blocks of the given lengths. */
function blocksOf(lens: readonly number[]): { off: number; len: number }[] {
  let off = 0;
  return lens.map((len) => ({ off: (off += len) - len, len }));
}

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.length);
const same = (a: Uint8Array, b: Uint8Array): boolean => buf(a).equals(buf(b));

function assertHashes(h: CaptureHashes, bytes: Uint8Array, blocks: readonly { off: number; len: number }[]): void {
  assert.equal(toHex(h.captureHash), toHex(sha256(bytes)), 'captureHash = H(capture)');
  assert.deepEqual(h.blockHashes.map(toHex), blocks.map((b) => toHex(sha256(bytes.subarray(b.off, b.off + b.len)))), 'blockHash_i = H(block_i)');
  assert.ok(same(h.bytes, bytes), 'the blocks are views of the same bytes');
}

const lensArb = fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 8 });

describe('capture hash streams', () => {
  it('block 1 comes from the capture stream; together they give H(capture) and every H(block_i)', () => {
    fc.assert(fc.property(lensArb, (lens) => {
      const blocks = blocksOf(lens);
      const bytes = new Uint8Array(randomBytes(lens.reduce((a, b) => a + b, 0)));
      const streams = captureStreams(blocks);
      assert.equal(streams.length, blocks.length, 'one stream per block: block 1 rides on the whole-capture stream');
      assertHashes({ ...fromStreams(runStreams(bytes, streams)), bytes, release: () => {} }, bytes, blocks);
    }), { numRuns: 200 });
  });
});

describe('hash workers claim streams', () => {
  /** Runs HASH_WORKER_SOURCE in `n` workers on one job; resolves with each worker's answer. */
  async function runWorkers(n: number, job: object): Promise<{ done: [number, ArrayBuffer[]][] }[]> {
    const workers = Array.from({ length: n }, () => new Worker(HASH_WORKER_SOURCE, { eval: true }));
    try {
      return await Promise.all(workers.map((w) => new Promise<{ done: [number, ArrayBuffer[]][] }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.postMessage({ id: 1, ...job });
      })));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }

  it('two workers sent the same capture hash every stream exactly once between them, with the reference digests', async () => {
    const lens = [300_000, 200_000, 200_000, 200_000, 100_000];
    const blocks = blocksOf(lens);
    const bytes = new Uint8Array(new SharedArrayBuffer(1_000_000));
    bytes.set(randomBytes(bytes.length));
    const streams = captureStreams(blocks);
    const want = runStreams(bytes, streams).map((d) => d.map(toHex));
    for (let round = 0; round < 20; round++) {
      const claims = newClaims(streams.length);
      const answers = await runWorkers(2, { buffer: bytes.buffer, byteOffset: 0, length: bytes.length, streams, claims });
      const got = answers.flatMap((a) => a.done);
      assert.deepEqual(got.map(([k]) => k).sort(), [0, 1, 2, 3, 4], 'each stream once, none twice');
      for (const [k, d] of got) assert.deepEqual(d.map((b) => toHex(new Uint8Array(b))), want[k], `stream ${k}`);
      assert.deepEqual([...claims], [1, 1, 1, 1, 1], 'every flag is taken');
    }
  });

  it('a stream already claimed (by another worker) is left alone', async () => {
    const blocks = blocksOf([1000, 1000, 1000]);
    const bytes = new Uint8Array(new SharedArrayBuffer(3000));
    const streams = captureStreams(blocks);
    const claims = newClaims(streams.length);
    claims[0] = 1;
    const [a] = await runWorkers(1, { buffer: bytes.buffer, byteOffset: 0, length: bytes.length, streams, claims });
    assert.deepEqual(a!.done.map(([k]) => k), [1, 2]);
  });
});

describe('CaptureHasher', () => {
  it('workers give the same hashes as the reference, for any split and concurrent captures', async () => {
    const hasher = new CaptureHasher({ workers: 2, minParallelBytes: 0, pooled: 3 });
    try {
      await fc.assert(fc.asyncProperty(fc.array(lensArb, { minLength: 1, maxLength: 4 }), async (caps) => {
        const inputs = caps.map((lens) => ({ blocks: blocksOf(lens), bytes: new Uint8Array(randomBytes(lens.reduce((a, b) => a + b, 0))) }));
        const results = await Promise.all(inputs.map((c) => hasher.hash(c.bytes, c.blocks)));
        results.forEach((h, k) => {
          assertHashes(h, inputs[k]!.bytes, inputs[k]!.blocks);
          assert.ok(h.bytes.buffer instanceof SharedArrayBuffer, 'workers read a shared copy');
          h.release();
          h.release(); // idempotent
        });
      }), { numRuns: 40 });
    } finally {
      await hasher.close();
    }
  });

  it('large captures: a released shared buffer is reused for the next capture, which still hashes right', async () => {
    const hasher = new CaptureHasher({ workers: 2, pooled: 1 });
    try {
      const a = new Uint8Array(randomBytes(3 << 20));
      const blocks = blocksOf([1 << 20, 1 << 20, 1 << 20]);
      const ha = await hasher.hash(a, blocks);
      assertHashes(ha, a, blocks);
      const first = ha.bytes.buffer;
      ha.release();
      const b = new Uint8Array(randomBytes(3 << 20));
      const hb = await hasher.hash(b, blocks);
      assert.equal(hb.bytes.buffer, first, 'the pooled buffer is reused');
      assertHashes(hb, b, blocks);
      const c = await hasher.hash(a, blocks); // hb not released yet: a new buffer
      assert.notEqual(c.bytes.buffer, first);
      assertHashes(c, a, blocks);
      assert.ok(same(hb.bytes, b), 'a buffer in use is never overwritten');
    } finally {
      await hasher.close();
    }
  });

  it('small captures and workers: 0 hash in this thread without a copy; shared input is used as is', async () => {
    const bytes = new Uint8Array(randomBytes(5000));
    const blocks = blocksOf([1000, 4000]);
    for (const hasher of [new CaptureHasher(), new CaptureHasher({ workers: 0, minParallelBytes: 0 })]) {
      const h = await hasher.hash(bytes, blocks);
      assertHashes(h, bytes, blocks);
      assert.equal(h.bytes, bytes, 'no copy');
      await hasher.close();
    }
    const hasher = new CaptureHasher({ minParallelBytes: 0 });
    const shared = new Uint8Array(new SharedArrayBuffer(5000));
    shared.set(bytes);
    const h = await hasher.hash(shared, blocks);
    assert.equal(h.bytes, shared, 'a shared input is not copied');
    assertHashes(h, bytes, blocks);
    await hasher.close();
  });

  it('a worker that dies mid-job costs time, never a wrong hash', async () => {
    const hasher = new CaptureHasher({ workers: 2, minParallelBytes: 0 });
    try {
      const bytes = new Uint8Array(randomBytes(24 << 20)); // ~15 ms of hashing: the worker dies mid-job
      const blocks = blocksOf([12 << 20, 12 << 20]);
      assertHashes(await hasher.hash(bytes, blocks), bytes, blocks); // workers up
      const inside = hasher as unknown as { slots: ({ worker: { terminate(): Promise<number> } } | null)[]; failures: number };
      const pending = hasher.hash(bytes, blocks); // jobs are posted before hash() returns
      void inside.slots[0]!.worker.terminate();
      assertHashes(await pending, bytes, blocks);
      assert.equal(inside.failures, 1, 'the dead worker was noticed');
      assertHashes(await hasher.hash(bytes, blocks), bytes, blocks); // a new worker takes over
    } finally {
      await hasher.close();
    }
  });

  it("meanwhile runs on the hashed bytes while the workers hash; if it throws, hash rejects after the workers are done", async () => {
    const hasher = new CaptureHasher({ workers: 2, minParallelBytes: 0, pooled: 1 });
    try {
      const bytes = new Uint8Array(randomBytes(4 << 20));
      const blocks = blocksOf([1 << 20, 3 << 20]);
      let seen: Uint8Array | undefined;
      const h = await hasher.hash(bytes, blocks, (view) => (seen = view));
      assert.equal(seen, h.bytes);
      assertHashes(h, bytes, blocks);
      const buffer = h.bytes.buffer;
      h.release();
      await assert.rejects(hasher.hash(bytes, blocks, () => {
        throw new Error('boom');
      }), /boom/);
      const next = await hasher.hash(bytes, blocks);
      assert.equal(next.bytes.buffer, buffer, 'the failed call gave its buffer back');
      assertHashes(next, bytes, blocks);
      let small: Uint8Array | undefined;
      await new CaptureHasher({ workers: 0 }).hash(bytes, blocks, (view) => (small = view));
      assert.equal(small, bytes, 'in-thread hashing calls it too, with the input');
    } finally {
      await hasher.close();
    }
  });

  it('checks its arguments', async () => {
    const hasher = new CaptureHasher({ workers: 0 });
    const bytes = new Uint8Array(10);
    await assert.rejects(hasher.hash('x' as unknown as Uint8Array, blocksOf([1])), /bytes must be a Uint8Array/);
    await assert.rejects(hasher.hash(bytes, []), TypeError);
    await assert.rejects(hasher.hash(bytes, blocksOf([4, 5])), /cover 9 bytes/);
    await assert.rejects(hasher.hash(bytes, [{ off: 0, len: 4 }, { off: 5, len: 5 }]), /blocks\[1\] must start at 4/);
    await assert.rejects(hasher.hash(bytes, [{ off: 0, len: 0 }, { off: 0, len: 10 }]), /blocks\[0\]/);
  });
});

describe('blockPayloadParts', () => {
  it('[prefix, data] concatenated is exactly the encoded BLOCK payload, and the data is not copied', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 600 }), fc.boolean(),
      (len, proofLen, sigLen, withData) => {
        const data = withData ? new Uint8Array(randomBytes(len)) : new Uint8Array(0);
        const msg: BlockMessage = {
          type: 'block', header: new Uint8Array(randomBytes(226)), headerSignature: new Uint8Array(randomBytes(64)), index: 3, off: 12345n, len,
          proof: Array.from({ length: proofLen }, (_, k) => ({ side: k % 2 ? 'left' : 'right', hash: new Uint8Array(randomBytes(32)) })),
          fsSignature: new Uint8Array(randomBytes(sigLen)), data,
        };
        const parts = blockPayloadParts(msg);
        assert.equal(toHex(concat(...parts)), toHex(encodeMessage(msg).payload));
        if (withData) assert.equal(parts[1], data);
      },
    ), { numRuns: 200 });
  });
});
