/**
 * Capture bundles from what a receiver (or a device outbox) stores (SCHEME.md
 * Appendix): the bundle model with every claim recomputed, and its JSON with
 * the optional `"saveHash": { "inclusion", "chain" }` field (docs/LEDGER.md
 * §7) and the key chain. Verification is src/verify's. Pure.
 */
import { bundleToJson, type CaptureBundle } from '../dstp/bundle.js';

export { storedBundle, type StoredCaptureParts } from '../dstp/stored-bundle.js';

/** The bundle JSON object, with the `saveHash` field and the key chain when given. */
export function bundleJson(b: CaptureBundle, saveHash: unknown, chain?: Record<string, unknown>): Record<string, unknown> {
  return bundleToJson({
    ...b, ...(saveHash !== null && saveHash !== undefined ? { saveHash } : {}), ...(chain !== undefined ? { chain } : {}),
  });
}

