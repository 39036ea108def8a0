/**
 * Tunables and counters of a BLE session, shared by the peripheral and central
 * managers and the connection (connection.ts holds its options and hooks).
 */
import type { BaseConnectionOptions } from '../base-connection.js';
import type { FlowReceiverOptions, FlowReceiverStats } from './link/flow-receiver.js';
import type { FlowSenderOptions, FlowSenderStats } from './link/flow-sender.js';

/** Tunables shared by both sides (all optional). */
export interface BleTuning
  extends Partial<Omit<FlowSenderOptions, 'clock' | 'onKick' | 'onDead'>>,
    Partial<Omit<FlowReceiverOptions, 'clock' | 'onAckDue'>>,
    Partial<Pick<BaseConnectionOptions, 'inboundHighWaterFrames' | 'inboundHighWaterBytes'>> {
  /** How long CLOSE waits for CLOSE_ACK, and an abort lingers, in ms (default 2000). */
  closeTimeoutMs?: number;
}


/** Counters of one session. */
export interface BleConnectionStats {
  tx: FlowSenderStats;
  rx: FlowReceiverStats;
  links: number;
}

