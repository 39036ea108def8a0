/**
 * `sealcam chain verify-vectors FILE`: checks a chain-v1 vectors file
 * (SCHEME.md §7 v1.1) ignoring its stated verdicts; one JSON line per case:
 * {"index", "label", "valid", "reason", "origin", "validFrom"}.
 */
import { verifyChainVectorsFile } from '../../verify/chain-vectors.js';
import { parse, readJsonFile } from '../args.js';

const USAGE = 'usage: sealcam chain verify-vectors FILE';

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, USAGE);
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const u = (x: bigint | null): number | string | null => (x === null ? null : x < 1n << 53n ? Number(x) : x.toString(16));
  const lines = verifyChainVectorsFile(await readJsonFile(positionals[0]!)).map((r) =>
    JSON.stringify({ index: r.index, label: r.label, valid: r.valid, reason: r.reason, origin: r.origin, validFrom: u(r.validFrom) }));
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
