/** Inputs and results of `sealcam demo`. */
import type { DaemonStatus } from '../device/daemon/status.js';
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
  /** `verified`: bundles whose origin and capture time verify against `trustFile` (the maker, the servers and the owner as witnesses). */
  bundles: { exported: number; verified: number; dir: string; trustFile: string };
  /**
   * JPEG captures written as `<seq>.c2pa.jpg` with Content Credentials signed by the device key
   * (by the receiver's export from the device's capture-time manifests, else by the device afterwards), and how many verify as photos
   * (sealcam origin and time, and C2PA valid and trusted) against `trustFile`.
   */
  photos: { written: number; verified: number; fromReceiver: number };
  probe?: ProbeResult;
  servers: { id: string; stats: ServerStatsSnapshot; verifyStore: VerifyStoreReport; dataDir: string }[];
  ledger: LedgerVerifyResult;
  ledgerPath: string;
}
