/**
 * DSTP test-vector generator (SCHEME.md Appendix).
 *
 *   node --import tsx scripts/gen-dstp-vectors.ts           writes test/vectors/dstp-v1.json
 *   node --import tsx scripts/gen-dstp-vectors.ts --list    prints index, verdict and label of every case
 *
 * Deterministic: fixture safe primes (test/fixtures/safe-primes.json), SeededRng,
 * fixed ECDSA secrets, RFC 6979 header signatures. Before writing, every case is
 * verified and must yield exactly its intended verdict.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../src/platform/atomic-file.js';
import { DSTP_VECTORS_SCHEME, verifyDstpVectorsFile } from '../src/dstp/vectors.js';
import { buildDstpVectors, type VectorEntry } from '../test/dstp/vectors/cases.js';

/** Canonical file text of the given entries. */
export function vectorsText(entries: readonly VectorEntry[]): string {
  return JSON.stringify({ scheme: DSTP_VECTORS_SCHEME, cases: entries.map((e) => e.json) }, null, 2) + '\n';
}

/** Builds, self-checks and returns the vectors (entries and file text). */
export async function generateDstpVectors(): Promise<{ entries: VectorEntry[]; text: string }> {
  const entries = await buildDstpVectors();
  const text = vectorsText(entries);
  const results = verifyDstpVectorsFile(JSON.parse(text));
  results.forEach((r, k) => {
    const e = entries[k]!;
    if (r.reason !== e.reason) throw new Error(`case ${k} (${e.label}): intended ${e.reason ?? 'valid'}, got ${r.reason ?? 'valid'}`);
  });
  return { entries, text };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { entries, text } = await generateDstpVectors();
  if (process.argv.includes('--list')) {
    entries.forEach((e, k) => console.log(`${String(k).padStart(3)}  ${(e.reason ?? 'valid').padEnd(22)} ${e.label}`));
  } else {
    const path = fileURLToPath(new URL('../test/vectors/dstp-v1.json', import.meta.url));
    mkdirSync(dirname(path), { recursive: true });
    await writeFileAtomic(path, new TextEncoder().encode(text), { mode: 0o644 });
    console.log(`wrote ${path}: ${entries.length} cases, ${text.length} bytes`);
  }
}
