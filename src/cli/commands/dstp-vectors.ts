/**
 * `sealcam dstp verify-vectors FILE`: checks a dstp-v1 vectors file
 * (SCHEME.md Appendix) ignoring its valid/reason fields; one JSON line per
 * case: {"index": k, "valid": bool, "reason": string|null}.
 */
import { verifyDstpVectorsFile } from '../../dstp/index.js';
import { runVectors } from './vector-output.js';

export const run = (argv: string[]): Promise<number> => runVectors(argv, 'usage: sealcam dstp verify-vectors FILE', verifyDstpVectorsFile);
