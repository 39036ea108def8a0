/**
 * The dstp-v1 test-vector file (SCHEME.md Appendix, test/vectors/dstp-v1.json):
 * verify every case, and write a file canonically. Pure: no I/O.
 */
import { SealcamError } from '../platform/errors.js';
import { caseToJson, parseDstpCase } from './case-json.js';
import type { DstpCase } from './case-json.js';
import { verifyCaseModel } from './case-verify.js';
import { FormError, readArray, readObject } from './json-form.js';
import type { DstpReason } from './reasons.js';

/** The `scheme` value of a dstp-v1 vectors file. */
export const DSTP_VECTORS_SCHEME = 'sealcam-dstp-v1';

/** The computed verdict of one case (stated valid/reason are ignored). */
export interface DstpCaseResult {
  readonly index: number;
  readonly valid: boolean;
  readonly reason: DstpReason | null;
}

/**
 * Verifies one case JSON value: CASE_FORMAT for any form violation, then the
 * stages of verifyCaseModel. Never throws for hostile input.
 * @returns null when the case is valid, else its reason.
 */
export function verifyDstpCase(json: unknown): DstpReason | null {
  let c: DstpCase;
  try {
    c = parseDstpCase(json);
  } catch (e) {
    if (e instanceof SealcamError && e.code === 'CASE_FORMAT') return 'CASE_FORMAT';
    throw e;
  }
  return verifyCaseModel(c, 'case').reason;
}

/**
 * Verifies every case of a parsed dstp-v1 vectors file, ignoring the stated
 * valid/reason.
 * @throws SealcamError<'CASE_FORMAT'> when the file itself is not
 *   `{ "scheme": "sealcam-dstp-v1", "cases": [...] }` (nothing to report per case).
 */
export function verifyDstpVectorsFile(json: unknown): DstpCaseResult[] {
  let cases: readonly unknown[];
  try {
    const o = readObject(json, '$', ['scheme', 'cases']);
    if (o.scheme !== DSTP_VECTORS_SCHEME) throw new FormError('$.scheme', `must be "${DSTP_VECTORS_SCHEME}"`);
    cases = readArray(o.cases, '$.cases');
  } catch (e) {
    throw new SealcamError('CASE_FORMAT', e instanceof Error ? e.message : 'malformed vectors file', { cause: e });
  }
  return cases.map((c, index) => {
    const reason = verifyDstpCase(c);
    return { index, valid: reason === null, reason };
  });
}

/**
 * Canonical text of a vectors file: 2-space JSON, key order as in the Appendix,
 * trailing newline.
 * @throws RangeError on a negative integer field.
 */
export function writeDstpVectorsFile(cases: readonly DstpCase[]): string {
  return JSON.stringify({ scheme: DSTP_VECTORS_SCHEME, cases: cases.map(caseToJson) }, null, 2) + '\n';
}
