/**
 * Shared body of `sealcam scheme|dstp verify-vectors FILE`: read the file,
 * check every case with `verify` (which ignores the stated valid/reason
 * fields), print one JSON line per case in order. Exit 0 when the file could
 * be read; an unreadable or malformed file is a coded error (exit 1).
 */
import { parse, readJsonFile } from '../args.js';

type Result = { index: number; valid: boolean; reason: string | null };

export async function runVectors(argv: string[], usage: string, verify: (json: unknown) => readonly Result[]): Promise<number> {
  const { positionals } = parse(argv, {}, usage);
  if (positionals.length !== 1) {
    console.error(usage);
    return 2;
  }
  const lines = verify(await readJsonFile(positionals[0]!)).map((r) =>
    JSON.stringify({ index: r.index, valid: r.valid, reason: r.valid ? null : r.reason }));
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
