/**
 * Keygen worker entry (bundled by tsup as dist/scheme/keygen-worker.js).
 * Runs keygenCore off the main thread; random bytes are requested from the
 * parent, which owns the Rng. The worker's heap (with P, Q, φ, R1) is
 * discarded when it exits.
 */
import { parentPort } from 'node:worker_threads';
import { modexp } from '../crypto/modexp/index.js';
import { i2osp } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { keygenCore } from './keygen-core.js';
import { B_BYTES, type ParentToWorker, type StartMsg, type WorkerToParent } from './keygen-protocol.js';

async function run(port: NonNullable<typeof parentPort>, start: StartMsg): Promise<void> {
  const waiting: ((b: Uint8Array) => void)[] = [];
  port.on('message', (msg: ParentToWorker) => {
    if (msg.type === 'rng') waiting.shift()?.(msg.bytes);
  });
  const random = (n: number): Promise<Uint8Array> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      port.postMessage({ type: 'rng', n } satisfies WorkerToParent);
    });
  try {
    const { state, b } = await keygenCore(start.params, start.primes, random, modexp());
    const enc = state.encode();
    state.destroy();
    const packed = new Uint8Array(b.length * B_BYTES);
    b.forEach((x, j) => packed.set(i2osp(x, B_BYTES), j * B_BYTES));
    port.postMessage({ type: 'done', state: enc, b: packed } satisfies WorkerToParent, [enc.buffer as ArrayBuffer, packed.buffer]);
  } catch (e) {
    const msg: WorkerToParent = { type: 'error', message: e instanceof Error ? e.message : String(e) };
    if (e instanceof SealcamError) {
      msg.code = e.code;
      msg.message = e.message.slice(e.code.length + 2);
    }
    port.postMessage(msg);
  } finally {
    port.close();
  }
}

if (parentPort) {
  const port = parentPort;
  port.once('message', (msg: ParentToWorker) => {
    if (msg.type === 'start') void run(port, msg);
  });
}
