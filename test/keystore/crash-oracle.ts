/**
 * Test oracle for the crash test: recomputes the secret key values of a
 * cycle made from the PUBLIC fixture primes (test/fixtures/safe-primes.json),
 * so the test knows the exact bytes of every erased W_m, S_{i,m} and pebble
 * without looking inside the state encoding. With φ(N) known, R1 is the unique
 * (MA·B)-th root of PK = V⁻¹ (gcd(MA·B, φ(N)) = 1), and
 * W_m = R1^(∏_{j≠m} b_j), S_{i,m} = W_m^(MA/a_i), node [lo,hi] = R1^(∏_{j∉[lo,hi]} b_j).
 */
import { readFileSync } from 'node:fs';
import { modexp, modInverse } from '../../src/crypto/index.js';
import { i2osp } from '../../src/platform/bytes.js';
import { blockExponent, decodeFsPublicKey, periodExponent, type FsPublicKey } from '../../src/scheme/index.js';

interface Cycle {
  pk: FsPublicKey;
  phi: bigint;
  R1: bigint;
  b: bigint[]; // b[j-1] = b_j
  B: bigint;
  cofactors: bigint[]; // MA / a_i
  periods: Map<number, Uint8Array[]>;
  nodes: Map<string, Uint8Array>;
}

/** Secret values of fixture-prime cycles, as I2OSP(·, K) bytes. */
export class ErasedKeyOracle {
  private readonly phiByN = new Map<bigint, bigint>();
  private readonly cycles = new Map<string, Cycle>();

  constructor() {
    const file = JSON.parse(readFileSync(new URL('../fixtures/safe-primes.json', import.meta.url), 'utf8')) as {
      pairs: Record<string, { P: string; Q: string }[]>;
    };
    for (const list of Object.values(file.pairs)) {
      for (const { P, Q } of list) {
        const p = BigInt('0x' + P);
        const q = BigInt('0x' + Q);
        this.phiByN.set(p * q, (p - 1n) * (q - 1n));
      }
    }
  }

  /** Registers a cycle by its FsPublicKey bytes; returns its keyId hex. */
  addCycle(pkBytes: Uint8Array): string {
    const pk = decodeFsPublicKey(pkBytes);
    const id = Buffer.from(pk.keyId).toString('hex');
    if (this.cycles.has(id)) return id;
    const phi = this.phiByN.get(pk.N);
    if (phi === undefined) throw new Error('cycle not made from fixture primes');
    const a = Array.from({ length: pk.n }, (_, i) => blockExponent(pk.seed, i + 1));
    const b = Array.from({ length: pk.T }, (_, j) => periodExponent(pk.seed, pk.T, j + 1));
    const MA = a.reduce((x, y) => x * y, 1n);
    const B = b.reduce((x, y) => x * y, 1n);
    const PK = modInverse(pk.V, pk.N);
    const R1 = modexp().powPublic(PK, modInverse((MA * B) % phi, phi), pk.N);
    if (modexp().powPublic(R1, MA * B, pk.N) !== PK) throw new Error('oracle: R1 recomputation failed');
    this.cycles.set(id, { pk, phi, R1, b, B, cofactors: a.map((ai) => MA / ai), periods: new Map(), nodes: new Map() });
    return id;
  }

  private cycle(id: string): Cycle {
    const c = this.cycles.get(id);
    if (!c) throw new Error(`unknown cycle ${id}`);
    return c;
  }

  /** T of a registered cycle. */
  periodsOf(id: string): number {
    return this.cycle(id).pk.T;
  }

  /** [W_m, S_{1,m}, …, S_{n,m}] of cycle `id`. */
  periodKeys(id: string, m: number): Uint8Array[] {
    const c = this.cycle(id);
    let v = c.periods.get(m);
    if (!v) {
      const K = c.pk.k / 8;
      const W = modexp().powPublic(c.R1, (c.B / c.b[m - 1]!) % c.phi, c.pk.N);
      v = [i2osp(W, K), ...c.cofactors.map((e) => i2osp(modexp().powPublic(W, e, c.pk.N), K))];
      c.periods.set(m, v);
    }
    return v;
  }

  /** Values of the tree nodes [lo, hi] (mid = ⌊(lo+hi)/2⌋) with lo < p, leaves excluded (see periodKeys). */
  nodeKeys(id: string, p: number): Uint8Array[] {
    const c = this.cycle(id);
    const out: Uint8Array[] = [];
    const walk = (lo: number, hi: number): void => {
      if (lo >= p || lo === hi) return;
      const key = `${lo}-${hi}`;
      let v = c.nodes.get(key);
      if (!v) {
        let inside = 1n;
        for (let j = lo; j <= hi; j++) inside *= c.b[j - 1]!;
        v = i2osp(modexp().powPublic(c.R1, (c.B / inside) % c.phi, c.pk.N), c.pk.k / 8);
        c.nodes.set(key, v);
      }
      out.push(v);
      const mid = Math.floor((lo + hi) / 2);
      walk(lo, mid);
      walk(mid + 1, hi);
    };
    walk(1, c.pk.T);
    return out;
  }
}
