/**
 * `sealcam scheme verify-vectors FILE`: checks an irn-v1 vectors file
 * (SCHEME.md Appendix) ignoring its valid/reason fields, and prints one JSON
 * line per signature case: {"index": k, "valid": bool, "reason": string|null}.
 * Exit 0 when the file could be read, 1 otherwise.
 */
import { verifyIrnVectorsFile } from '../../scheme/index.js';
import { parse, readJsonFile } from '../args.js';
import { printVectorResults } from './vector-output.js';

const USAGE = 'usage: sealcam scheme verify-vectors FILE';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, USAGE);
  if (values['help'] === true) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  return printVectorResults(verifyIrnVectorsFile(await readJsonFile(positionals[0]!)));
}
