/**
 * DSTP benchmarks (`npm run bench`, or standalone: `node --import tsx bench/dstp.ts`):
 * ECDSA header sign/verify per second for both suites (and the deterministic signer against
 * @noble/curves signing alone), bulk SHA-256 throughput
 * through node:crypto, Merkle root of a 16-block capture per second.
 * Targets are Pi 4 budgets with headroom (a device signs ≤ a few headers per second).
 */
import { createHash } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { pathToFileURL } from 'node:url';
import { ecdsaPublicKey, ecdsaSign, ecdsaSignFast, ecdsaVerify, type Suite } from '../src/crypto/ecdsa.js';
import { sha256 } from '../src/crypto/hash.js';
import { i2osp } from '../src/platform/bytes.js';
import { encodeHeader } from '../src/dstp/header.js';
import { dstpAddress, signHeader, verifyHeaderSignature } from '../src/dstp/header-sign.js';
import { merkleRoot } from '../src/dstp/merkle.js';
import { interleavedRates } from './rate.js';
import { ratioRow, type Row } from './row.js';


/**
 * Runs every DSTP benchmark. Each target is a ratio to the same run's bare primitive: a header
 * signature against an ECDSA signature of 32 bytes by the same path (the header's own cost:
 * its checks and hashing 226 bytes), a Merkle root against its 15 node hashes done directly.
 */
export async function benchDstp(): Promise<Row[]> {
  const rows: Row[] = [];
  const digest = sha256(Uint8Array.of(7));
  for (const suite of [1, 2] as Suite[]) {
    const secret = i2osp(0xb0b0n + BigInt(suite), 32);
    const pub = ecdsaPublicKey(suite, secret);
    const header = encodeHeader({
      mode: 1, suite, contentType: 1, ts: 1_767_225_600_000n, seq: 1n, manufacturerAddr: new Uint8Array(20),
      deviceAddr: dstpAddress(suite, pub), ownerAddr: new Uint8Array(20), keyId: new Uint8Array(32), m: 1,
      captureLen: 1000n, captureHash: new Uint8Array(32), c: 4, frameRoot: new Uint8Array(32), prevHeaderDigest: new Uint8Array(32),
    });
    const sig = signHeader(suite, secret, header);
    const dsig = ecdsaSign(suite, secret, digest);
    const name = suite === 1 ? 'ES256K' : 'ES256';
    // the same signing and verification path over a 32-byte message instead of the 226-byte header
    const nobleCurve = suite === 1 ? secp256k1 : p256;
    const [hs, bareSign, hv, bareVerify, nobleSign, ackSign] = interleavedRates([
      () => signHeader(suite, secret, header),
      () => ecdsaSign(suite, secret, digest),
      () => {
        if (verifyHeaderSignature(suite, pub, header, sig) !== null) throw new Error('bench: verify failed');
      },
      () => {
        if (ecdsaVerify(suite, pub, digest, dsig) !== null) throw new Error('bench: verify failed');
      },
      // the same RFC 6979 signature (same bytes) all in @noble/curves, as browsers sign
      () => nobleCurve.sign(sha256(digest), secret, { prehash: false, lowS: true, format: 'compact' }),
      // what a server or receiver signs per stored block: a random-nonce ACK signature through OpenSSL
      () => ecdsaSignFast(suite, secret, digest),
    ], { rounds: 5, sliceMs: 80, warm: 100 });
    rows.push(ratioRow('dstp', `header sign ${name}`, hs!, 'ops/s', { value: bareSign!, what: `ECDSA ${name} sign of 32 bytes` }, { atLeast: 0.8 }));
    rows.push(ratioRow('dstp', `ECDSA ${name} sign of 32 bytes, RFC 6979 with OpenSSL's k·G (no target)`, bareSign!, 'ops/s',
      { value: nobleSign!, what: 'the same signature by @noble/curves alone' }));
    rows.push({ group: 'dstp', metric: `block ACK signature ${name} (random nonce, OpenSSL; a server signs one per stored block)`, value: ackSign!, unit: 'ops/s' });
    rows.push(ratioRow('dstp', `header verify ${name}`, hv!, 'ops/s', { value: bareVerify!, what: `ECDSA ${name} verify of 32 bytes` }, { atLeast: 0.8 }));
    await new Promise((r) => setImmediate(r));
  }
  const buf = new Uint8Array(1 << 20).fill(0x5a);
  const [mibPerS] = interleavedRates([() => createHash('sha256').update(buf).digest()], { rounds: 2, sliceMs: 200 });
  rows.push({ group: 'dstp', metric: 'SHA-256 (node:crypto, 1 MiB buffers)', value: mibPerS! * 1.048576, unit: 'MB/s' });
  const leaves = Array.from({ length: 16 }, (_, k) => sha256(Uint8Array.of(k)));
  const node = new Uint8Array(65);
  const [roots, bareNodes] = interleavedRates([
    () => merkleRoot(leaves),
    () => {
      for (let k = 0; k < 15; k++) sha256(node);
    },
  ], { rounds: 5, sliceMs: 80, warm: 100 });
  rows.push(ratioRow('dstp', 'Merkle root c=16', roots!, 'roots/s', { value: bareNodes!, what: '15 SHA-256 of a 65-byte node, done directly' }, { atLeast: 0.8 }));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchDstp()) {
    console.log(`${r.ok === false ? 'MISSED' : 'ok    '} ${r.metric.padEnd(40)} ${r.value.toFixed(1).padStart(10)} ${r.unit}${r.ratio !== undefined ? ` (${r.ratio.toFixed(2)}x ${r.baseline!.what}, target ${r.target})` : ''}`);
  }
}
