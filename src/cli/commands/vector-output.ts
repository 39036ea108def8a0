/** Shared output of the verify-vectors commands: one JSON line per case, in order. */
export function printVectorResults(results: readonly { index: number; valid: boolean; reason: string | null }[]): number {
  const lines = results.map((r) => JSON.stringify({ index: r.index, valid: r.valid, reason: r.valid ? null : r.reason }));
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
