/**
 * The daemon's status snapshot (docs/DAEMON.md "Status"): JSON-safe (bigints
 * as decimal strings, bytes as hex), no key material. Also the one-line text
 * sent as sd_notify STATUS=.
 */
import type { CameraHealth, CameraStats } from '../../capture/camera.js';
import type { OutboxStatus } from '../../outbox/outbox.js';
import { toHex } from '../../platform/bytes.js';
import type { DeliveryCounters } from '../delivery/types.js';
import type { SessionInfo } from '../delivery/delivery.js';
import type { KeyStatus } from '../keys/types.js';
import type { PipelineStats } from '../pipeline/types.js';

/** Lifecycle state of the daemon. */
export type DaemonState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** The status snapshot. */
export interface DaemonStatus {
  state: DaemonState;
  startedAt: string | null;
  device: { address: string; manufacturer: string; owner: string; suite: number } | null;
  captures: {
    signed: number; queued: number; queuedBytes: number; restamped: number; refusedFull: number;
    refused: Record<string, number>; lost: number; lastSeq: string | null; meanSignMs: number | null;
  };
  outbox: { records: number; bytes: number; fill: number; full: boolean; fullEpisodes: number; oldestSeq?: string | null; destinations: Record<string, { pending: number; inFlight: number; failures: number }> } | null;
  keys: { keyId: string | null; period: number | null; T: number | null; cycleEnd: string | null; nextKeyId: string | null; generating: boolean; chainLength: number; awaitingWitness: boolean } | null;
  chain: { committedSeq: string };
  delivery: { listening: string | null; sessions: SessionInfo[]; counters: DeliveryCounters };
  camera: { kind: string; state: string; produced: number; delivered: number; dropped: number; lastFrameAt: string | null; sinceLastFrameMs: number | null } | null;
  lastError: { code: string; message: string; at: string } | null;
}

/** Parts the snapshot is built from (null when that component is not up). */
export interface StatusParts {
  state: DaemonState;
  startedAt: bigint | null;
  device: { address: Uint8Array; manufacturerAddr: Uint8Array; ownerAddr: Uint8Array; suite: number } | null;
  pipeline: PipelineStats;
  outbox: OutboxStatus | null;
  /** Oldest capture seq still pending in the outbox (only computed on request; undefined otherwise). */
  oldestSeq?: bigint | null;
  keys: KeyStatus | null;
  committedSeq: bigint;
  listening: string | null;
  sessions: SessionInfo[];
  counters: DeliveryCounters;
  camera: { stats: CameraStats; health: CameraHealth } | null;
  lastError: { code: string; message: string; at: bigint } | null;
}

const hexOrNull = (b: Uint8Array | null): string | null => (b ? toHex(b) : null);

/** Builds the JSON-safe snapshot. */
export function buildStatus(p: StatusParts): DaemonStatus {
  const ps = p.pipeline;
  const err = p.lastError ?? ps.lastError;
  const dests: Record<string, { pending: number; inFlight: number; failures: number }> = {};
  for (const [id, d] of Object.entries(p.outbox?.destinations ?? {})) dests[id] = { pending: d.pending, inFlight: d.inFlight, failures: d.failures };
  return {
    state: p.state,
    startedAt: p.startedAt === null ? null : new Date(Number(p.startedAt)).toISOString(),
    device: p.device && { address: toHex(p.device.address), manufacturer: toHex(p.device.manufacturerAddr), owner: toHex(p.device.ownerAddr), suite: p.device.suite },
    captures: {
      signed: ps.signed, queued: ps.queued, queuedBytes: ps.queuedBytes, restamped: ps.restamped, refusedFull: ps.refusedFull,
      refused: { ...ps.refused } as Record<string, number>, lost: ps.lost, lastSeq: ps.lastQueuedSeq?.toString() ?? null,
      meanSignMs: ps.signed > 0 ? Math.round((ps.signMs / ps.signed) * 100) / 100 : null,
    },
    outbox: p.outbox && {
      records: p.outbox.records, bytes: p.outbox.bytes, fill: Math.round(p.outbox.fill * 1000) / 1000, full: p.outbox.full || ps.outboxFull,
      fullEpisodes: ps.fullEpisodes, destinations: dests,
      ...(p.oldestSeq !== undefined ? { oldestSeq: p.oldestSeq === null ? null : p.oldestSeq.toString() } : {}),
    },
    keys: p.keys && {
      keyId: hexOrNull(p.keys.keyId), period: p.keys.period, T: p.keys.T, cycleEnd: p.keys.cycleEnd?.toString() ?? null,
      nextKeyId: hexOrNull(p.keys.nextKeyId), generating: p.keys.generating, chainLength: p.keys.chainLength, awaitingWitness: p.keys.awaitingWitness,
    },
    chain: { committedSeq: p.committedSeq.toString() },
    delivery: { listening: p.listening, sessions: p.sessions, counters: { ...p.counters } },
    camera: p.camera && {
      kind: p.camera.stats.kind, state: p.camera.stats.state, produced: p.camera.stats.produced, delivered: p.camera.stats.delivered,
      dropped: p.camera.stats.dropped, lastFrameAt: p.camera.health.lastFrameAt?.toString() ?? null, sinceLastFrameMs: p.camera.health.sinceLastFrameMs,
    },
    lastError: err && { code: err.code, message: err.message, at: err.at.toString() },
  };
}

/** One line for sd_notify STATUS= (no newlines). */
export function statusLine(s: DaemonStatus): string {
  const parts = [`${s.state}`, `queued ${s.captures.queued}`];
  if (s.keys?.period != null) parts.push(`period ${s.keys.period}/${s.keys.T ?? '?'}`);
  if (s.outbox) parts.push(s.outbox.full ? `OUTBOX FULL (${s.captures.refusedFull} refused)` : `outbox ${Math.round(s.outbox.fill * 100)}%`);
  parts.push(`${s.delivery.sessions.length} peer(s)`);
  if (s.lastError) parts.push(`last error ${s.lastError.code}`);
  return parts.join(', ').replace(/[\r\n]/g, ' ');
}
