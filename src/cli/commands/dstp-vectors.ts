/**
 * `sealcam dstp verify-vectors FILE`: checks a dstp-v1 vectors file
 * (SCHEME.md Appendix) ignoring its valid/reason fields, and prints one JSON
 * line per case: {"index": k, "valid": bool, "reason": string|null}.
 * Exit 0 when the file could be read, 1 otherwise.
 */
import { verifyDstpVectorsFile } from '../../dstp/index.js';
import { parse, readJsonFile } from '../args.js';
import { printVectorResults } from './vector-output.js';

const USAGE = 'usage: sealcam dstp verify-vectors FILE';

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
  return printVectorResults(verifyDstpVectorsFile(await readJsonFile(positionals[0]!)));
}
