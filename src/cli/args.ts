/**
 * Small helpers shared by subcommands: strict option parsing with a usage
 * message, and JSON/hex file reading with coded errors.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { SealcamError } from '../platform/errors.js';

export type CliErrorCode = 'CLI_USAGE' | 'CLI_FILE' | 'CLI_JSON';

/** Parses `argv` strictly; unknown options are a CLI_USAGE error that includes `usage`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** Parsed options and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Record<string, OptionSpec>, usage: string, allowPositionals = true): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw new SealcamError<CliErrorCode>('CLI_USAGE', `${(e as Error).message}\n${usage}`);
  }
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
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SealcamError<CliErrorCode>('CLI_JSON', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
