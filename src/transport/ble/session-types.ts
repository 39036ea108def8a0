/**
 * Options and hooks of a BLE session ({@link BleConnection}); shared by the
 * peripheral and central managers.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { BaseConnectionOptions } from '../base-connection.js';
import type { FlowReceiverOptions, FlowReceiverStats } from './flow-receiver.js';
import type { FlowSenderOptions, FlowSenderStats } from './flow-sender.js';
import type { BleConnection } from './connection.js';

/** Tunables shared by both sides (all optional). */
export interface BleTuning
  extends Partial<Omit<FlowSenderOptions, 'clock' | 'onKick' | 'onDead'>>,
    Partial<Omit<FlowReceiverOptions, 'clock' | 'onAckDue'>>,
    Partial<Pick<BaseConnectionOptions, 'inboundHighWaterFrames' | 'inboundHighWaterBytes'>> {
  /** How long CLOSE waits for CLOSE_ACK, and an abort lingers, in ms (default 2000). */
  closeTimeoutMs?: number;
}

/** What the session manager learns from a connection. */
export interface SessionHooks {
  /** The link dropped while the session is open: resume or expire it. */
  detached(conn: BleConnection, reason: Error | undefined): void;
  /** The session ended (closed or aborted). */
  ended(conn: BleConnection): void;
}

/** Options of a {@link BleConnection} (created by the peripheral or central manager). */
export interface BleConnectionOptions extends BleTuning {
  role: 'device' | 'central';
  remote: string;
  clock: Clock;
  logger?: Logger;
  sessionId: Uint8Array;
  maxFrameBytes: number;
  peerMaxFrameBytes: number;
  hooks: SessionHooks;
}

/** Counters of one session. */
export interface BleConnectionStats {
  tx: FlowSenderStats;
  rx: FlowReceiverStats;
  links: number;
}

