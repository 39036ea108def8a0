/**
 * DSTP (SCHEME.md §5–6 and Appendix): capture headers, Merkle tree, block digests,
 * Algorithm 1, block verification, interchange JSON. Pure.
 */
export * from './reasons.js';
export * from './header.js';
export * from './header-sign.js';
export * from './merkle.js';
export * from './digest.js';
export * from './split.js';
export * from './verify.js';
export { parseDstpCase, caseToJson } from './case-json.js';
export type { DstpCase, DstpCaseBlock, CaseKind } from './case-json.js';
export { verifyCaseModel } from './case-verify.js';
export type { VerifyCheck, CaseOutcome } from './case-verify.js';
export * from './vectors.js';
export * from './bundle.js';
