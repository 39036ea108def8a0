/**
 * generateKeyCycle (SCHEME.md §2): by default in a worker thread so that a
 * daemon stays responsive during the T prime searches and the safe-prime
 * generation; `worker: false` runs in the caller's thread.
 */
import type { Worker } from 'node:worker_threads';
import { modexp, type ModExp } from '../crypto/modexp/index.js';
import { os2ip, wipe } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { systemRng, type Rng } from '../platform/rng.js';
import { schemeError, type SchemeErrorCode } from './errors.js';
import { primePeriodExponents } from './exponents.js';
import { checkKeygenParams, keygenCore, type SafePrimes } from './keygen-core.js';
import { B_BYTES, type DoneMsg, type ParentToWorker, type WorkerToParent } from './keygen-protocol.js';
import { FsKeyState } from './key-state.js';
import type { FsPublicKey, KeygenParams } from './types.js';
import { spawnKeygenWorker } from './worker-url.js';

/** Keygen options. */
export interface KeygenOptions {
  /** Randomness for seed, R1 and K_1 (default: the OS CSPRNG). Safe primes always come from OpenSSL. */
  rng?: Rng;
  /** Pre-made safe primes (tests/vectors only), validated: distinct k/2-bit safe primes with a k-bit product. */
  primes?: SafePrimes;
  /** Run off the main thread (default true). */
  worker?: boolean;
  /** Backend for the returned state (and for in-thread keygen). */
  backend?: ModExp;
}

function runWorker(params: KeygenParams, primes: SafePrimes | undefined, rng: Rng): Promise<DoneMsg> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = spawnKeygenWorker();
    } catch (e) {
      reject(e instanceof SealcamError ? e : schemeError('KEYGEN_WORKER', 'cannot start the keygen worker', e));
      return;
    }
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.on('message', (msg: WorkerToParent) => {
      if (msg.type === 'rng') {
        const bytes = rng.bytes(msg.n);
        worker.postMessage({ type: 'rng', bytes: Uint8Array.from(bytes) } satisfies ParentToWorker);
        wipe(bytes);
      } else if (msg.type === 'done') {
        finish(() => resolve(msg));
      } else {
        finish(() => reject(schemeError((msg.code ?? 'KEYGEN_WORKER') as SchemeErrorCode, msg.message)));
      }
    });
    worker.on('error', (e) => finish(() => reject(schemeError('KEYGEN_WORKER', 'keygen worker failed', e))));
    worker.on('exit', (code) => finish(() => reject(schemeError('KEYGEN_WORKER', `keygen worker exited (${code}) without a result`))));
    worker.postMessage({ type: 'start', params, ...(primes ? { primes } : {}) } satisfies ParentToWorker);
  });
}

/**
 * Generates a key cycle (SCHEME.md §2): safe primes, seed, exponents, R1,
 * PK and V = PK^−1, then the period-1 state; P, Q, φ(N), R1 are dropped.
 * @throws TypeError/RangeError on bad params; SealcamError 'KEYGEN_PRIMES' | 'KEYGEN_WORKER' | 'SEED_EXHAUSTED'
 */
export async function generateKeyCycle(p: KeygenParams, o: KeygenOptions = {}): Promise<{ publicKey: FsPublicKey; state: FsKeyState }> {
  checkKeygenParams(p);
  const rng = o.rng ?? systemRng;
  const backend = o.backend ?? modexp();
  if (o.worker === false) {
    const { state } = await keygenCore(p, o.primes, (n) => Promise.resolve(rng.bytes(n)), backend);
    return { publicKey: state.publicKey, state };
  }
  const done = await runWorker(p, o.primes, rng);
  const b: bigint[] = [];
  for (let off = 0; off < done.b.length; off += B_BYTES) b.push(os2ip(done.b.subarray(off, off + B_BYTES)));
  try {
    const state = FsKeyState.decode(done.state, { backend });
    primePeriodExponents(state.publicKey.seed, p.T, b);
    return { publicKey: state.publicKey, state };
  } finally {
    wipe(done.state);
  }
}
