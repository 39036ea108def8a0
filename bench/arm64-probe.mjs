// Measurement probe of `npm run bench -- --only arm64` (bench/arm64.ts), plain
// JavaScript so it runs on an installed package without tsx: the same file runs
// natively and on the emulated arm64 userland, each against a built sealcam
// package, and prints one JSON object.
//
//   node arm64-probe.mjs <package dir> <safe-primes.json> [captures]
//
// Times are CPU time of this process (user + system; under qemu-user that is the
// emulator's host CPU time), so a busy shared machine does not distort them; wall
// times are printed too.
// - keygenMs: one key cycle k = 3072, n = 16, T = 4096 from the PUBLIC fixture
//   primes (everything keygen does except the safe-prime search), on this thread;
// - signMs: mean CPU time of the shipping signer (signCaptureForOutbox) for a 400 KB still split in
//   n = 4 blocks (the device's hot path: two hash passes, the header and its
//   ECDSA signature, four FsSignatures), after one warm-up capture.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkg, primesFile, capturesArg] = process.argv.slice(2);
if (!pkg || !primesFile) {
  console.error('usage: node arm64-probe.mjs <package dir> <safe-primes.json> [captures]');
  process.exit(2);
}
const captures = Number(capturesArg ?? 10);
const { scheme, dstp, crypto } = await import(pathToFileURL(join(pkg, 'dist/index.js')).href);
const { signCaptureForOutbox, fsSignerKeys } = await import(pathToFileURL(join(pkg, 'dist/sign.js')).href);
const pair = JSON.parse(readFileSync(primesFile, 'utf8')).pairs['3072'][0];

const deviceSecret = new Uint8Array(32).fill(9);
const deviceAddr = dstp.dstpAddress(1, crypto.ecdsaPublicKey(1, deviceSecret));
const t0 = BigInt(Date.now());
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const k0 = performance.now();
const kc0 = cpu();
const { state } = await scheme.generateKeyCycle(
  { k: 3072, n: 16, T: 4096, t0, delta: 3_600_000, deviceAddr },
  { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, worker: false },
);
const keygenMs = cpu() - kc0;
const keygenWallMs = performance.now() - k0;

const still = new Uint8Array(randomBytes(400_000));
still.set([0xff, 0xd8, 0xff, 0xe0], 0);
still.set([0xff, 0xd9], still.length - 2);
const servers = [{ free: null }, { free: null }, { free: null }, { free: null }];
const id = {
  suite: 1, publicKey: crypto.ecdsaPublicKey(1, deviceSecret), address: deviceAddr, secret: deviceSecret,
  manufacturerAddr: new Uint8Array(20).fill(1), ownerAddr: new Uint8Array(20),
};
const keys = fsSignerKeys({ publicKey: state.publicKey, sign: (i, ts, seq, d) => state.sign(i, ts, seq, d) });
let prev = new Uint8Array(32);
const sign = async (seq) => {
  const ts = t0 + 1000n;
  const c = await signCaptureForOutbox({ bytes: still, ts, seq, mode: 1, contentType: 1, prevHeaderDigest: prev }, id, keys, () => servers, () => ts);
  prev = c.headerDigest;
};
await sign(1n);
const s0 = performance.now();
const sc0 = cpu();
for (let i = 0; i < captures; i++) await sign(BigInt(i + 2));
const signMs = (cpu() - sc0) / captures;
const signWallMs = (performance.now() - s0) / captures;

console.log(JSON.stringify({ arch: process.arch, node: process.version, keygenMs, keygenWallMs, signMs, signWallMs, captures }));
