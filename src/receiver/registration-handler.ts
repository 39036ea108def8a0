/**
 * Handling of one REG message (SCHEME.md §7 v1.1, SESSION-PROTOCOL.md steps
 * 2–3) at the receiver: the shared key-chain registry (src/peer/key-registry.ts)
 * judges it by the same rules as a storage server, stores new cycles durably
 * and answers with the ack v2 signed by the receiver key (the receiver is a
 * witness too).
 */
import type { ReceiverCore } from './core.js';
import type { RejectReason } from './errors.js';

/** Outcome: the REG_ACK payload, or the reason for an ERROR answer. */
export type RegOutcome =
  | { readonly ok: true; readonly ack: Uint8Array; readonly deviceAddr: string; readonly keyId: string }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string; readonly deviceAddr?: string };

/**
 * Judges, stores and acknowledges a registration from the session of `sessionDevice`
 * (hex; null before HELLO). Never throws for hostile bytes; a store failure is STORE_IO.
 */
export async function handleRegistration(core: ReceiverCore, payload: Uint8Array, sessionDevice: Uint8Array | null): Promise<RegOutcome> {
  const r = await core.registry.register(payload, core.opts.clock.now(), sessionDevice);
  if (!r.ok) return { ok: false, reason: r.reason, message: r.message, ...(r.deviceHex ? { deviceAddr: r.deviceHex } : {}) };
  if (r.added > 0) core.stats.registrations++;
  else core.stats.registrationsRepeated++;
  await core.device(r.deviceHex);
  core.emit('registration', { deviceAddr: r.deviceHex, keyId: r.keyIdHex, added: r.added, fresh: r.added > 0 });
  return { ok: true, ack: r.ack, deviceAddr: r.deviceHex, keyId: r.keyIdHex };
}
