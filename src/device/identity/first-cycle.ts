/**
 * The device's first key cycle C₁ (SCHEME.md §7 v1.1 "leave factory"):
 * provisioning generates the device key and C₁ BEFORE the factory signs, so
 * that the factory record can pin C₁ (firstKeyId) at the factory's time.
 * Creates C₁ in a keystore whose chain is empty; returns the stored one
 * otherwise (idempotent).
 */
import { sha256 } from '../../crypto/hash.js';
import type { KeyStore } from '../../keystore/keystore.js';
import { wipe } from '../../platform/bytes.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { ModulusBits } from '../../scheme/index.js';
import { KeyManager } from '../keys/manager.js';
import type { KeygenFn } from '../keys/types.js';

/** Key cycle parameters of a new device. */
export interface CycleParams {
  readonly k: ModulusBits;
  readonly n: number;
  readonly T: number;
  readonly delta: number;
}

/** Options of {@link ensureFirstCycle}. */
export interface FirstCycleOptions {
  readonly clock?: Clock;
  readonly keygen?: KeygenFn;
  readonly logger?: Logger;
}

/**
 * The FsPublicKey of C₁ and its keyId, generating C₁ (t0 = now) when the chain is empty.
 * @throws KeyStoreError from the store; KeyManagerError KEY_KEYGEN_FAILED | KEY_STATE_INVALID
 */
export async function ensureFirstCycle(ks: KeyStore, deviceAddr: Uint8Array, params: CycleParams, o: FirstCycleOptions = {}): Promise<{ publicKey: Uint8Array; keyId: Uint8Array }> {
  const snap = await ks.load();
  if (snap.cycleState) wipe(snap.cycleState);
  if (snap.nextCycle) wipe(snap.nextCycle);
  if (snap.deviceKey) wipe(snap.deviceKey.secret);
  const stored = snap.meta?.chain[0];
  if (stored) return { publicKey: stored.publicKey, keyId: sha256(stored.publicKey) };
  const km = new KeyManager({
    store: ks, clock: o.clock ?? systemClock, params: { ...params, deviceAddr },
    // Provisioning only: nothing runs in the background.
    nextCycleFraction: 1, nextCycleLeadMs: 0, provision: true,
    ...(o.keygen ? { keygen: o.keygen } : {}), ...(o.logger ? { logger: o.logger } : {}),
  });
  await km.start();
  try {
    const first = km.chain[0]!;
    return { publicKey: Uint8Array.from(first.publicKey), keyId: sha256(first.publicKey) };
  } finally {
    await km.stop();
  }
}
