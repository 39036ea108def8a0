/**
 * Counters of a storage server: outcomes per ACK status, rejections per reason
 * (docs/SERVER.md "Reason codes"), registrations and sessions. Plain numbers;
 * `snapshot()` copies them for `stats()` and the logs.
 */
import { AckStatus } from '../transport/messages.js';
import type { MqttTransportStats } from '../transport/mqtt/mqtt-transport.js';
import type { ServerReason } from './errors.js';

/** A copy of the counters. */
export interface ServerStatsSnapshot {
  /** Blocks stored by this process (STORED acks). */
  stored: number;
  /** Blocks acknowledged again (DUPLICATE). */
  duplicates: number;
  /** REJECTED acks plus refused registrations and protocol violations. */
  rejected: number;
  retryLater: number;
  notRegistered: number;
  registrations: number;
  registrationsRepeated: number;
  /** Count of every reason seen (rejections, retries, refused registrations, violations). */
  reasons: Record<string, number>;
  sessionsOpen: number;
  sessionsTotal: number;
  /** Blocks and bytes in the store (persisted). */
  storeBlocks: number;
  storeBytes: number;
  /** Over MQTT: the held-bytes budget and the publishes the transport refused, per code. */
  mqtt?: MqttTransportStats;
}

/** Mutable counters. */
export class ServerStats {
  stored = 0;
  duplicates = 0;
  rejected = 0;
  retryLater = 0;
  notRegistered = 0;
  registrations = 0;
  registrationsRepeated = 0;
  sessionsOpen = 0;
  sessionsTotal = 0;
  private readonly reasons = new Map<string, number>();

  /** Counts one reason (and one rejection unless it is a retry). */
  reason(r: ServerReason, rejection = true): void {
    this.reasons.set(r, (this.reasons.get(r) ?? 0) + 1);
    if (rejection) this.rejected += 1;
  }

  /** Counts the outcome of one block. */
  block(status: AckStatus, reason: ServerReason | ''): void {
    switch (status) {
      case AckStatus.STORED:
        this.stored += 1;
        return;
      case AckStatus.DUPLICATE:
        this.duplicates += 1;
        return;
      case AckStatus.REJECTED:
        this.reason(reason === '' ? 'INTERNAL' : reason);
        return;
      case AckStatus.NOT_REGISTERED:
        this.notRegistered += 1;
        this.reason(reason === '' ? 'DEVICE_NOT_REGISTERED' : reason, false);
        return;
      default:
        this.retryLater += 1;
        this.reason(reason === '' ? 'INTERNAL' : reason, false);
    }
  }

  /** A copy of every counter. */
  snapshot(store: { blockCount: number; bytes: number }): ServerStatsSnapshot {
    return {
      stored: this.stored, duplicates: this.duplicates, rejected: this.rejected, retryLater: this.retryLater,
      notRegistered: this.notRegistered, registrations: this.registrations, registrationsRepeated: this.registrationsRepeated,
      reasons: Object.fromEntries(this.reasons), sessionsOpen: this.sessionsOpen, sessionsTotal: this.sessionsTotal,
      storeBlocks: store.blockCount, storeBytes: store.bytes,
    };
  }
}
