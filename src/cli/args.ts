/**
 * Small helpers shared by subcommands: strict option parsing with a usage
 * message, integer option values, and JSON file reading with coded errors.
 */
import { parseArgs } from 'node:util';
import { parseJsonStrict } from '../platform/strict-json.js';
import { readFile } from 'node:fs/promises';
import { SealcamError } from '../platform/errors.js';

export type CliErrorCode = 'CLI_USAGE' | 'CLI_HELP' | 'CLI_FILE' | 'CLI_JSON';

/** One option of {@link parse}. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** `--help` / `-h` was given: main prints `usage` to stdout and exits 0. */
export class HelpRequested extends SealcamError<'CLI_HELP'> {
  constructor(readonly usage: string) {
    super('CLI_HELP', 'help requested');
  }
}

/** Parsed options and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` strictly.
 * @throws SealcamError CLI_USAGE (unknown option or bad value; the message includes `usage`);
 *   HelpRequested for `--help` / `-h` (main prints the usage and exits 0).
 */
export function parse(argv: string[], options: Record<string, OptionSpec>, usage: string, allowPositionals = true): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    if (r.values.help === true) throw new HelpRequested(usage);
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    if (e instanceof HelpRequested) throw e;
    throw new SealcamError<CliErrorCode>('CLI_USAGE', `${(e as Error).message}\n${usage}`);
  }
}

/**
 * The integer value of option `--name` (decimal digits only), or `dflt` when it was not given.
 * @throws SealcamError CLI_USAGE naming the option and its range (followed by `usage` when given)
 */
export function intOption(v: unknown, name: string, dflt: number, lo: number, hi: number, usage?: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < lo || n > hi) {
    throw new SealcamError<CliErrorCode>('CLI_USAGE', `--${name} must be an integer in [${lo}, ${hi}]${usage === undefined ? '' : `\n${usage}`}`);
  }
  return n;
}

/** Reads and parses a JSON file. @throws SealcamError CLI_FILE | CLI_JSON */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SealcamError<CliErrorCode>('CLI_FILE', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parseJsonStrict(text);
  } catch (e) {
    throw new SealcamError<CliErrorCode>('CLI_JSON', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
