/**
 * The chain-v1 test-vector file (test/vectors/chain-v1.json): capture
 * bundles with their key chains and the verifier's trust, each with the
 * verdict `{valid, reason, origin, validFrom}` of SCHEME.md §7 v1.1.
 * ```
 * { "scheme": "sealcam-chain-v1",
 *   "trust": { "manufacturers": [ … ], "witnesses": [ … ] },
 *   "cases": [ { "label": "…", "bundle": { … },
 *                "trust"?: { … } | null,        (overrides the file's; null: no trust, integrity only)
 *                "minWitnesses"?: 2,             (w of §7, default 1)
 *                "group"?: "…",                  (bundles verified together: CHAIN_FORK)
 *                "valid": bool, "reason": "<code>" | null, "origin": bool, "validFrom": <u64> | null } ] }
 * ```
 * `sealcam verify --trust T [--min-witnesses W] FILE…` gives the same
 * verdicts (a group's bundles in one call). Pure.
 */
import type { KeyCache } from '../chain/check.js';
import { readTrust, type ChainTrust } from '../chain/json.js';
import { FormError, readArray, readObject, readSmallUint, readString } from '../dstp/json-form.js';
import { SealcamError } from '../platform/errors.js';
import { findForks, verifyCaptureBundle, type CaptureVerdict } from './capture.js';

/** The `scheme` value of a chain-v1 vectors file. */
export const CHAIN_VECTORS_SCHEME = 'sealcam-chain-v1';

/** The computed verdict of one case (the stated one is ignored). */
export interface ChainCaseResult {
  readonly index: number;
  readonly label: string;
  readonly valid: boolean;
  readonly reason: string | null;
  readonly origin: boolean;
  readonly validFrom: bigint | null;
}

/**
 * Verifies every case of a parsed chain-v1 vectors file (from parseJsonStrict).
 * @throws SealcamError<'CASE_FORMAT'> when the file or a case's frame (not its bundle) is malformed
 */
export function verifyChainVectorsFile(json: unknown): ChainCaseResult[] {
  let fileTrust: ChainTrust;
  let cases: readonly unknown[];
  try {
    const o = readObject(json, '$', ['scheme', 'trust', 'cases']);
    if (o.scheme !== CHAIN_VECTORS_SCHEME) throw new FormError('$.scheme', `must be "${CHAIN_VECTORS_SCHEME}"`);
    fileTrust = readTrust(o.trust);
    cases = readArray(o.cases, '$.cases');
  } catch (e) {
    throw new SealcamError('CASE_FORMAT', e instanceof Error ? e.message : 'malformed vectors file', { cause: e });
  }
  const cache: KeyCache = new Map();
  const verdicts: { label: string; group: string | null; v: CaptureVerdict }[] = cases.map((c, k) => {
    try {
      const o = readObject(c, `$.cases[${k}]`, ['label', 'bundle', 'valid', 'reason', 'origin', 'validFrom'], ['trust', 'minWitnesses', 'group']);
      const trust = o.trust === undefined ? fileTrust : o.trust === null ? null : readTrust(o.trust);
      const minWitnesses = o.minWitnesses === undefined ? 1 : readSmallUint(o.minWitnesses, `$.cases[${k}].minWitnesses`, 999);
      const v = verifyCaptureBundle(o.bundle, { trust, requireOrigin: trust !== null, minWitnesses, keyCache: cache });
      return { label: readString(o.label, `$.cases[${k}].label`), group: o.group === undefined ? null : readString(o.group, `$.cases[${k}].group`), v };
    } catch (e) {
      throw new SealcamError('CASE_FORMAT', e instanceof Error ? e.message : 'malformed case', { cause: e });
    }
  });
  const results: ChainCaseResult[] = verdicts.map((x, index) => ({
    index, label: x.label, valid: x.v.valid, reason: x.v.reason, origin: x.v.origin, validFrom: x.v.validFrom,
  }));
  const groups = new Map<string, number[]>();
  verdicts.forEach((x, i) => {
    if (x.group !== null) groups.set(x.group, [...(groups.get(x.group) ?? []), i]);
  });
  for (const members of groups.values()) {
    const chains = members.map((i) => {
      const v = verdicts[i]!.v;
      return v.origin || v.reason === 'CHAIN_BACKDATED' ? v.chain : undefined;
    });
    for (const n of findForks(chains)) {
      const i = members[n]!;
      if (results[i]!.valid) results[i] = { ...results[i]!, valid: false, reason: 'CHAIN_FORK', origin: false, validFrom: null };
    }
  }
  return results;
}
