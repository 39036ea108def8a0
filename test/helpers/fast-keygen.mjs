/**
 * TEST-ONLY preload: `node --import <this file> …` (see fast-keygen.ts) makes
 * every IR-n key cycle the process generates use the PUBLIC fixture safe
 * primes of test/fixtures/safe-primes.json instead of fresh ones (seconds →
 * ms), so tests that run the daemon or the CLI as a child process can roll key
 * cycles quickly. Anyone can factor such keys. Shipped code has no knob for
 * this: the preload hands the primes to the keygen worker by adding them to
 * its start message (src/scheme/keygen-protocol.ts `StartMsg.primes`, which
 * the worker validates), pairs in rotation per modulus size, as
 * `generateKeyCycle(p, { primes })` would. Plain JS so that it loads without
 * tsx (also into an installed package's `bin/sealcam.js`).
 */
import { readFileSync } from 'node:fs';
import { isMainThread, Worker } from 'node:worker_threads';

/** The fixture file, next to this file's folder (test/fixtures/ in the repo). */
const FILE = new URL('../fixtures/safe-primes.json', import.meta.url);

if (isMainThread) {
  const pairs = JSON.parse(readFileSync(FILE, 'utf8')).pairs;
  const next = new Map();
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function postWithFixturePrimes(msg, transfer) {
    const list = msg && msg.type === 'start' && msg.params && msg.primes === undefined ? pairs[String(msg.params.k)] : undefined;
    if (list && list.length > 0) {
      const i = next.get(list) ?? 0;
      next.set(list, i + 1);
      const pair = list[i % list.length];
      msg = { ...msg, primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) } };
    }
    return post.call(this, msg, transfer);
  };
}
