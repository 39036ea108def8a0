/**
 * The storage servers' latest VERIFIED free space (SESSION-PROTOCOL step 5),
 * the input of Algorithm 1 (src/dstp/split.ts). A status counts only when its
 * signature verifies under the server's configured key and it is fresh.
 */
import { decodeServerStatus, verifyServerStatus } from '../../protocol/server-status.js';
import { equalBytes } from '../../platform/bytes.js';
import type { ServerSpace } from '../../dstp/split.js';
import type { Destination } from './destinations.js';

/** A status older than this (ms, by the device clock when it arrived) is treated as unknown. */
export const STATUS_MAX_AGE_MS = 300_000;

/** Why a status was refused. */
export type StatusRefusal = 'STATUS_FORMAT' | 'STATUS_UNTRUSTED' | 'STATUS_SIGNATURE' | 'STATUS_STALE';

/** Latest free space per storage server id. */
export class ServerSpaceBook {
  private readonly map = new Map<string, { free: bigint; ts: bigint; at: bigint }>();

  /**
   * Verifies and records a STATUS payload from `dest` received at `now`.
   * @returns null when recorded, else why it was refused
   */
  accept(dest: Destination, payload: Uint8Array, now: bigint): StatusRefusal | null {
    if (dest.kind !== 'server' || !dest.key) return 'STATUS_UNTRUSTED';
    let decoded;
    try {
      decoded = decodeServerStatus(payload);
    } catch {
      return 'STATUS_FORMAT';
    }
    if (!equalBytes(decoded.status.serverAddr, dest.key.address)) return 'STATUS_UNTRUSTED';
    if (verifyServerStatus(dest.key.suite, dest.key.publicKey, decoded) !== null) return 'STATUS_SIGNATURE';
    const prev = this.map.get(dest.id);
    if (prev && decoded.status.ts <= prev.ts) return 'STATUS_STALE';
    this.map.set(dest.id, { free: decoded.status.freeBytes, ts: decoded.status.ts, at: now });
    return null;
  }

  /** Free space of `id` when known and fresh at `now`, else null. */
  free(id: string, now: bigint): bigint | null {
    const e = this.map.get(id);
    return e && now - e.at <= BigInt(STATUS_MAX_AGE_MS) ? e.free : null;
  }

  /**
   * Algorithm 1 input for the storage servers, in configuration order. With no
   * server configured, `n` entries of unknown space (an equal split into n blocks).
   */
  spaces(servers: readonly Destination[], n: number, now: bigint): ServerSpace[] {
    if (servers.length === 0) return Array.from({ length: n }, () => ({ free: null }));
    return servers.map((s) => ({ free: this.free(s.id, now) }));
  }
}
