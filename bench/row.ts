/** One line of the benchmark table (`npm run bench`). */
export interface Row {
  /** Section, e.g. 'IR-n k=3072 openssl'. */
  group: string;
  metric: string;
  value: number;
  unit: string;
  /** The target as text (e.g. '>= 700') or a number (a minimum). */
  target?: string | number;
  /** Whether the target is met (undefined when there is no target). */
  ok?: boolean;
}
