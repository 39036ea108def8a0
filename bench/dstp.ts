/**
 * DSTP benchmarks (`npm run bench`, or standalone: `node --import tsx bench/dstp.ts`):
 * ECDSA header sign/verify per second for both suites, bulk SHA-256 throughput
 * through node:crypto, Merkle root of a 16-block capture per second.
 * Targets are Pi 4 budgets with headroom (a device signs ≤ a few headers per second).
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ecdsaPublicKey, type Suite } from '../src/crypto/ecdsa.js';
import { sha256 } from '../src/crypto/hash.js';
import { i2osp } from '../src/platform/bytes.js';
import { encodeHeader } from '../src/dstp/header.js';
import { dstpAddress, signHeader, verifyHeaderSignature } from '../src/dstp/header-sign.js';
import { merkleRoot } from '../src/dstp/merkle.js';

/** One benchmark result row. */
export interface Row {
  group: string;
  metric: string;
  value: number;
  unit: string;
  target?: number;
  ok?: boolean;
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
function rate(fn: () => void, ms = 400): number {
  for (let k = 0; k < 3; k++) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    ops++;
    if ((ops & 7) === 0) now = performance.now();
  }
  now = performance.now();
  return ops / ((now - start) / 1000);
}

function row(group: string, metric: string, value: number, unit: string, target: number): Row {
  return { group, metric, value: Math.round(value * 10) / 10, unit, target, ok: value >= target };
}

/** Runs every DSTP benchmark. */
export async function benchDstp(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const suite of [1, 2] as Suite[]) {
    const secret = i2osp(0xb0b0n + BigInt(suite), 32);
    const pub = ecdsaPublicKey(suite, secret);
    const header = encodeHeader({
      mode: 1, suite, contentType: 1, ts: 1_767_225_600_000n, seq: 1n, manufacturerAddr: new Uint8Array(20),
      deviceAddr: dstpAddress(suite, pub), ownerAddr: new Uint8Array(20), keyId: new Uint8Array(32), m: 1,
      captureLen: 1000n, captureHash: new Uint8Array(32), c: 4, frameRoot: new Uint8Array(32), prevHeaderDigest: new Uint8Array(32),
    });
    const sig = signHeader(suite, secret, header);
    const name = suite === 1 ? 'ES256K' : 'ES256';
    rows.push(row('dstp', `header sign ${name}`, rate(() => signHeader(suite, secret, header)), 'ops/s', 100));
    rows.push(row('dstp', `header verify ${name}`, rate(() => {
      if (verifyHeaderSignature(suite, pub, header, sig) !== null) throw new Error('bench: verify failed');
    }), 'ops/s', 100));
    await new Promise((r) => setImmediate(r));
  }
  const buf = new Uint8Array(1 << 20).fill(0x5a);
  const mibPerS = rate(() => createHash('sha256').update(buf).digest());
  rows.push(row('dstp', 'SHA-256 (node:crypto, 1 MiB buffers)', mibPerS * 1.048576, 'MB/s', 50));
  const leaves = Array.from({ length: 16 }, (_, k) => sha256(Uint8Array.of(k)));
  rows.push(row('dstp', 'Merkle root c=16', rate(() => merkleRoot(leaves)), 'roots/s', 1000));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchDstp()) {
    console.log(`${r.ok === false ? 'SLOW' : 'ok  '} ${r.metric.padEnd(40)} ${String(r.value).padStart(10)} ${r.unit} (target ${r.target})`);
  }
}
