/**
 * Key-chain test-vector generator (SCHEME.md §7 v1.1, src/verify/chain-vectors.ts).
 *
 *   node --import tsx scripts/gen-chain-vectors.ts           writes test/vectors/chain-v1.json
 *   node --import tsx scripts/gen-chain-vectors.ts --list    prints index, verdict and label of every case
 *
 * Deterministic (fixture safe primes, SeededRng, RFC 6979). Before writing,
 * every case is verified and must yield exactly its intended verdict.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../src/platform/atomic-file.js';
import { parseJsonStrict } from '../src/platform/strict-json.js';
import { CHAIN_VECTORS_SCHEME, verifyChainVectorsFile } from '../src/verify/chain-vectors.js';
import { buildChainCases, caseToJson, FILE_TRUST, trustJson, type ChainCase } from '../test/chain/vectors/cases.js';

/** Canonical file text of the given cases. */
export function chainVectorsText(cases: readonly ChainCase[]): string {
  return JSON.stringify({ scheme: CHAIN_VECTORS_SCHEME, trust: trustJson(FILE_TRUST), cases: cases.map(caseToJson) }, null, 2) + '\n';
}

/** Builds, self-checks and returns the vectors. */
export async function generateChainVectors(): Promise<{ cases: ChainCase[]; text: string }> {
  const cases = await buildChainCases();
  const text = chainVectorsText(cases);
  verifyChainVectorsFile(parseJsonStrict(text)).forEach((r, k) => {
    const c = cases[k]!;
    if (r.reason !== c.reason || r.valid !== c.valid || r.origin !== c.origin || r.validFrom !== c.validFrom) {
      throw new Error(`case ${k} (${c.label}): intended ${JSON.stringify({ valid: c.valid, reason: c.reason, origin: c.origin, validFrom: String(c.validFrom) })}, ` +
        `got ${JSON.stringify({ valid: r.valid, reason: r.reason, origin: r.origin, validFrom: String(r.validFrom) })}`);
    }
  });
  return { cases, text };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { cases, text } = await generateChainVectors();
  if (process.argv.includes('--list')) {
    cases.forEach((c, k) => console.log(`${String(k).padStart(3)}  ${(c.reason ?? (c.origin ? 'VALID' : 'INTACT')).padEnd(22)} ${c.label}`));
  } else {
    const path = fileURLToPath(new URL('../test/vectors/chain-v1.json', import.meta.url));
    mkdirSync(dirname(path), { recursive: true });
    await writeFileAtomic(path, new TextEncoder().encode(text), { mode: 0o644 });
    console.log(`wrote ${path}: ${cases.length} cases, ${text.length} bytes`);
  }
}
