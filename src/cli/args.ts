/**
 * Small helpers shared by subcommands: strict option parsing with a usage
 * message, and JSON/hex file reading with coded errors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { SealcamError } from '../platform/errors.js';

export type CliErrorCode = 'CLI_USAGE' | 'CLI_FILE' | 'CLI_JSON';

/** Parses `argv` strictly; unknown options are a CLI_USAGE error that includes `usage`. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
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
