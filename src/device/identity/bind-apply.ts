/**
 * The two places an owner request is applied, around the core of bind.ts:
 * inside the RUNNING daemon (its inbox, at SIGHUP; the daemon then restarts its
 * components so later headers carry the new owner), or by `sealcam bind` itself
 * when no daemon runs (it takes the keystore). Both finish an owner change
 * with {@link afterOwnerChange}: the owner destination's acknowledgements are
 * forgotten (the new owner registers afresh) and, when a previous owner was
 * bound, blocks still queued for it are dropped (only with `--force`, see
 * bind.ts), so a new owner never receives the previous owner's captures.
 */
import { AckBook } from '../delivery/ack-book.js';
import type { DeviceConfig } from '../daemon/config.js';
import * as build from '../daemon/build.js';
import { OWNER_ID } from '../delivery/destinations.js';
import { ChainState } from '../keys/chain-state.js';
import { DeviceIdentity } from './identity.js';
import { applyOwnerRequest, parseOwnerRequest, resultJson, type OwnerRequestResult } from './bind.js';
import { processInbox, type InboxRequest } from './bind-inbox.js';
import { Outbox } from '../../outbox/outbox.js';
import { equalBytes, toHex } from '../../platform/bytes.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { BindRecord } from '../../ledger/record-spec.js';

/** Summary of the owner changes of one inbox run. */
export interface OwnerChange {
  /** The bound owner changed (bind of a new owner, or unbind). */
  readonly changed: boolean;
  /** An owner was bound before the first change. */
  readonly wasBound: boolean;
}

/** What the inbox handler needs from the running daemon. */
export interface InboxDaemon {
  readonly deviceIdentity: DeviceIdentity | null;
  /** Blocks queued for the owner destination. */
  ownerPending(): number;
}

/** Applies one request with `identity`, answering with resultJson. */
async function applyOne(stateDir: string, identity: DeviceIdentity, req: InboxRequest, pending: () => number): Promise<{ answer: Record<string, unknown>; result: OwnerRequestResult | null }> {
  try {
    const result = await applyOwnerRequest({ stateDir, identity, ownerPending: pending }, parseOwnerRequest(req.request), { force: req.force });
    return { answer: resultJson(result), result };
  } catch (e) {
    return { answer: resultJson(e), result: null };
  }
}

/**
 * Daemon side: handles the inbox with the daemon's identity (later requests
 * of the same run see the binding the earlier ones made). Never rejects.
 */
export async function handleOwnerInbox(stateDir: string, daemon: InboxDaemon, logger: Logger): Promise<OwnerChange> {
  const start = daemon.deviceIdentity;
  const wasBound = start?.bound ?? false;
  let cur = start;
  const made: DeviceIdentity[] = [];
  await processInbox(stateDir, async (req) => {
    if (!cur) return { ok: false, code: 'BIND_NOT_READY', message: 'the daemon has not loaded its identity yet; retry' };
    const { answer, result } = await applyOne(stateDir, cur, req, () => daemon.ownerPending());
    if (result) {
      logger.info({ kind: result.kind, ownerBefore: toHex(result.ownerBefore), ownerAfter: toHex(result.ownerAfter), record: result.recordFile }, 'bind: owner request accepted');
      const binding = result.kind === 'bind' ? (result.record as BindRecord) : null;
      cur = new DeviceIdentity(cur.suite, cur.secret, cur.factory, binding);
      made.push(cur);
    } else {
      logger.warn({ code: answer.code, err: answer.message }, 'bind: owner request refused');
    }
    return answer;
  }, logger);
  const changed = start !== null && cur !== null && !equalBytes(start.ownerAddr, cur.ownerAddr);
  for (const m of made) m.destroy();
  return { changed, wasBound };
}

/**
 * Finishes an owner change while the daemon's components are stopped (see the file comment).
 * @returns blocks dropped for the previous owner
 * @throws DeviceStateError STATE_IO; OutboxError
 */
export async function afterOwnerChange(stateDir: string, wasBound: boolean, cfg: DeviceConfig, clock: Clock, logger: Logger): Promise<number> {
  const acks = new AckBook(stateDir);
  await acks.load();
  await acks.retain([...cfg.receivers.map((r) => r.id), ...cfg.mqtt.servers.map((s) => s.id)]);
  if (!wasBound) return 0;
  const outbox = await Outbox.open(build.outboxOptions(cfg, stateDir, clock, logger));
  try {
    if (!outbox.destinations().includes(OWNER_ID)) return 0;
    const dropped = outbox.status().destinations[OWNER_ID]?.pending ?? 0;
    // Forgetting captures needs a chain head that covers them (device/keys/chain-state.ts): after a
    // crash the newest capture may be known only to the outbox; loading with it makes it durable.
    await new ChainState(stateDir).load(await build.recoverChainHead(outbox, logger));
    await outbox.removeDestination(OWNER_ID, { force: true });
    if (dropped > 0) logger.warn({ dropped }, 'bind: blocks queued for the previous owner were dropped');
    return dropped;
  } finally {
    await outbox.close();
  }
}
