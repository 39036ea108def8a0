/** One line of the benchmark table (`npm run bench`). */
export interface Row {
  /** Section, e.g. 'IR-n k=3072 openssl'. */
  group: string;
  metric: string;
  value: number;
  unit: string;
  /**
   * The reference this row is judged against, measured in the SAME run on the
   * same machine (so load and CPU model cancel out of the ratio), and what it is.
   * A row with a target and no baseline is a fixed bound (the table says so): only where the
   * quantity does not scale with the machine (bytes, memory, simulated time) or is a latency bound.
   */
  baseline?: { value: number; unit: string; what: string };
  /** value / baseline (or the ratio the target is stated in, e.g. passes of SHA-256). */
  ratio?: number;
  /** The target as text (e.g. '>= 700', '<= 1.25x') or a number (a minimum). */
  target?: string | number;
  /** Whether the target is met (undefined when there is no target). */
  ok?: boolean;
}

/**
 * A row judged as a ratio to a same-run baseline: ratio = value / baseline,
 * target `>= min` or `<= max` times the baseline.
 */
export function ratioRow(
  group: string, metric: string, value: number, unit: string,
  baseline: { value: number; unit?: string; what: string }, target?: { atLeast: number } | { atMost: number },
): Row {
  const ratio = value / baseline.value;
  const row: Row = { group, metric, value, unit, baseline: { value: baseline.value, unit: baseline.unit ?? unit, what: baseline.what }, ratio };
  if (target === undefined) return row;
  if ('atLeast' in target) return { ...row, target: `>= ${target.atLeast}x`, ok: ratio >= target.atLeast };
  return { ...row, target: `<= ${target.atMost}x`, ok: ratio <= target.atMost };
}
