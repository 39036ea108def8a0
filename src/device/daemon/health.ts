/**
 * The daemon's health file (docs/DEPLOY.md "Health"): every few seconds the
 * running daemon replaces `<stateDir>/health.json` (tmp + rename: readers never
 * see a torn file; no fsync: it is rewritten constantly and a stale copy after
 * a power cut is detected by its age) with its pid, the time, whether captures
 * are making progress and the status snapshot (no key material).
 * `sealcam device health` (Docker HEALTHCHECK) judges it with
 * {@link evaluateHealth}: fresh, written by a live process, running, progressing.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { DaemonStatus } from './status.js';

/** File name inside the state directory. */
export const HEALTH_FILE = 'health.json';
/** How often the daemon rewrites it (ms). */
export const HEALTH_INTERVAL_MS = 5_000;
/** No frame (or a signed capture not stored) for this long makes the daemon unhealthy (ms). */
export const HEALTH_STALL_MS = 60_000;
/** Largest health file read (bytes). */
export const MAX_HEALTH_BYTES = 256 * 1024;

/** Content of the health file (version 1). */
export interface HealthRecord {
  readonly version: 1;
  readonly pid: number;
  /** Unix ms when written. */
  readonly atMs: number;
  readonly at: string;
  readonly intervalMs: number;
  /** Daemon lifecycle state ('starting' before the first status; 'stopped' after a clean stop). */
  readonly state: string;
  /** Captures made progress within {@link HEALTH_STALL_MS}. */
  readonly progress: boolean;
  readonly status: DaemonStatus | null;
}

/** Verdict of {@link evaluateHealth}. */
export interface HealthVerdict {
  readonly healthy: boolean;
  /** Why not (null when healthy). */
  readonly reason: string | null;
}

/** Path of the health file. */
export function healthPath(stateDir: string): string {
  if (typeof stateDir !== 'string' || stateDir === '') throw new TypeError('stateDir must be a non-empty path');
  return join(stateDir, HEALTH_FILE);
}

/**
 * Judges a parsed health file: well formed, written at most `maxAgeMs` ago
 * (default 3 intervals + 5 s), by a live process, in state 'running' with
 * progress (or 'reloading': a SIGHUP reload restarting the components).
 */
export function evaluateHealth(h: unknown, nowMs: number, alive: (pid: number) => boolean, maxAgeMs?: number): HealthVerdict {
  const bad = (reason: string): HealthVerdict => ({ healthy: false, reason });
  if (typeof h !== 'object' || h === null) return bad('no health file');
  const r = h as Partial<HealthRecord>;
  if (r.version !== 1 || !Number.isSafeInteger(r.pid) || !Number.isFinite(r.atMs) || !Number.isSafeInteger(r.intervalMs)) {
    return bad('malformed health file');
  }
  const limit = maxAgeMs ?? 3 * r.intervalMs! + 5_000;
  const age = nowMs - r.atMs!;
  if (age > limit) return bad(`health file is ${Math.round(age / 1000)} s old (limit ${Math.round(limit / 1000)} s)`);
  if (!alive(r.pid!)) return bad(`daemon process ${r.pid} is not running`);
  if (r.state === 'reloading') return { healthy: true, reason: null }; // components restarting after SIGHUP
  if (r.state !== 'running') return bad(`daemon is ${String(r.state)}`);
  if (r.progress !== true) return bad('no capture progress (camera stalled or captures not stored)');
  return { healthy: true, reason: null };
}

/** Reads and parses the health file; null when absent or unparsable. */
export async function readHealthFile(stateDir: string): Promise<unknown> {
  try {
    const h = await fs.open(healthPath(stateDir), 'r');
    try {
      if ((await h.stat()).size > MAX_HEALTH_BYTES) return null;
      return JSON.parse(await h.readFile('utf8')) as unknown;
    } finally {
      await h.close();
    }
  } catch {
    return null;
  }
}

/** Periodically replaces the health file. */
export class HealthWriter {
  private timer: TimerHandle | null = null;
  private writing: Promise<void> = Promise.resolve();
  private warned = false;

  /** Only assigns. `snapshot()` gives the current state, progress and status. */
  constructor(
    private readonly stateDir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly snapshot: () => { state: string; progress: boolean; status: DaemonStatus | null },
    private readonly intervalMs = HEALTH_INTERVAL_MS,
  ) {}

  /** Writes now, then every interval. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      void this.write();
      this.timer = this.clock.setTimer(this.intervalMs, tick);
    };
    tick();
  }

  /** Writes the current snapshot now (serialised with other writes). Never rejects. */
  write(override?: { state: string; progress: boolean }): Promise<void> {
    const p = this.writing.then(() => this.writeOnce(override));
    this.writing = p;
    return p;
  }

  private async writeOnce(override?: { state: string; progress: boolean }): Promise<void> {
    const snap = this.snapshot();
    const atMs = Number(this.clock.now());
    const rec: HealthRecord = {
      version: 1, pid: process.pid, atMs, at: new Date(atMs).toISOString(), intervalMs: this.intervalMs,
      state: override?.state ?? snap.state, progress: override?.progress ?? snap.progress, status: snap.status,
    };
    const path = healthPath(this.stateDir);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await fs.writeFile(tmp, JSON.stringify(rec) + '\n', { mode: 0o644 });
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.unlink(tmp).catch(() => {});
      if (!this.warned) this.logger.warn({ err: (e as Error).message, path }, 'health: cannot write the health file');
      this.warned = true;
    }
  }

  /** Stops the timer and writes a final record in `state` (e.g. 'stopped'). */
  async stop(state: string): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.write({ state, progress: false });
  }
}
