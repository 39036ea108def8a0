/**
 * `sealcam scheme verify-vectors FILE`: checks an irn-v1 vectors file
 * (SCHEME.md Appendix) ignoring its valid/reason fields; one JSON line per
 * signature case: {"index": k, "valid": bool, "reason": string|null}.
 */
import { verifyIrnVectorsFile } from '../../scheme/index.js';
import { runVectors } from './vector-output.js';

export const run = (argv: string[]): Promise<number> => runVectors(argv, 'usage: sealcam scheme verify-vectors FILE', verifyIrnVectorsFile);
