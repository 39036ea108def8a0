/** Inputs and results of `sealcam demo`. */
import type { DaemonStatus } from '../device/daemon-status.js';
import type { LedgerVerifyResult } from '../ledger/index.js';
import type { ReceiverStats } from '../receiver/types.js';
import type { ServerStatsSnapshot, VerifyStoreReport } from '../server/index.js';
import type { DemoDevice } from './setup.js';
import type { ProbeResult } from './tamper.js';

export interface DemoOptions {
  /** Where every file goes. */
  dir: string;
  captures: number;
  /** External broker; default: embedded aedes. */
  brokerUrl?: string;
  bits: 2048 | 3072;
  periodMs: number;
  intervalMs: number;
}

export interface DemoFacts {
  dir: string;
  logFile: string;
  captures: number;
  broker: string;
  device: DemoDevice;
  daemon: DaemonStatus;
  periods: number[];
  keyIds: string[];
  receiver: ReceiverStats;
  bundles: { exported: number; verified: number; dir: string };
  probe?: ProbeResult;
  servers: { id: string; stats: ServerStatsSnapshot; verifyStore: VerifyStoreReport; dataDir: string }[];
  ledger: LedgerVerifyResult;
  ledgerPath: string;
}
