/**
 * Handling of one REG message (SCHEME.md §7, SESSION-PROTOCOL.md step 2–3):
 * judge it with the registry, store a new registration durably, then answer
 * with the acknowledgement record signed by the receiver key.
 */
import { encodeRecord, signAckRecord } from '../ledger/index.js';
import { toHex } from '../platform/bytes.js';
import type { ReceiverCore } from './core.js';
import type { RejectReason } from './errors.js';

/** Outcome: the REG_ACK payload, or the reason for an ERROR answer. */
export type RegOutcome =
  | { readonly ok: true; readonly ack: Uint8Array; readonly deviceAddr: string; readonly keyId: string }
  | { readonly ok: false; readonly reason: RejectReason; readonly message: string; readonly deviceAddr?: string };

/**
 * Judges, stores and acknowledges a registration. Never throws for hostile bytes;
 * a store failure is reported as STORE_IO.
 */
export async function handleRegistration(core: ReceiverCore, payload: Uint8Array): Promise<RegOutcome> {
  const v = core.registry.check(payload, core.opts.clock.now());
  if (!v.ok) {
    return { ok: false, reason: v.reason, message: v.message, ...(v.deviceAddr ? { deviceAddr: toHex(v.deviceAddr) } : {}) };
  }
  const dev = toHex(v.deviceAddr);
  if (v.fresh) {
    try {
      await core.store.putRegistration(dev, v.cycle.order, v.cycle.keyIdHex, v.cycle.registration);
    } catch (e) {
      core.opts.logger.error({ dev, err: (e as Error).message }, 'cannot store a registration');
      return { ok: false, reason: 'STORE_IO', message: 'registration could not be stored', deviceAddr: dev };
    }
    core.registry.apply(v);
    core.stats.registrations++;
  } else {
    core.stats.registrationsRepeated++;
  }
  await core.device(dev);
  const { identity } = core.opts;
  const ack = encodeRecord(signAckRecord({ serverSuite: identity.suite, serverSecret: identity.secret, deviceAddr: v.deviceAddr, keyId: v.cycle.keyId }));
  core.emit('registration', { deviceAddr: dev, keyId: v.cycle.keyIdHex, prevKeyId: toHex(v.cycle.prevKeyId), fresh: v.fresh });
  return { ok: true, ack, deviceAddr: dev, keyId: v.cycle.keyIdHex };
}
