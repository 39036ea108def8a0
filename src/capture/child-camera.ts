/**
 * One child-process frame source shared by the rpicam and v4l2 backends:
 * spawns the camera tool WITHOUT a shell, splits its MJPEG stdout into JPEG
 * frames, sends its stderr lines to the Logger, restarts it with jittered,
 * bounded exponential backoff when it exits or stalls, and kills it on stop
 * (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { TimerHandle } from '../platform/clock.js';
import type { Rng } from '../platform/rng.js';
import { systemRng } from '../platform/rng.js';
import type { BackoffOptions } from './backoff.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import { resolveBackoff } from './backoff.js';
import { backoffDelay, jitterFraction } from '../platform/backoff.js';
import { BaseCamera } from './base-camera.js';
import type { CameraDeps, QueueLimits } from './base-camera.js';
import { captureError } from './camera.js';
import type { CaptureError } from './camera.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { LineSplitter } from './line-splitter.js';
import { StderrLog } from './stderr-log.js';
import type { ResolvedCameraConfig } from './config.js';

/** What to run. */
export interface ChildCommand {
  /** Backend name for stats and logs, e.g. 'rpicam'. */
  kind: string;
  /** Executable name (looked up on PATH) or path. */
  binary: string;
  args: string[];
  /** Debian package that provides the binary, named in CAMERA_BINARY_MISSING. */
  debianPackage: string;
}

/** Tuning of a child-process camera. */
export interface ChildCameraOptions extends QueueLimits {
  maxFrameBytes?: number;
  restart?: BackoffOptions;
  /** Kill and restart a child that produced no frame for this long; 0 disables (default 10 000). */
  stallTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace (default 3000). */
  killTimeoutMs?: number;
}

/** Seams of a child-process camera. */
export interface ChildCameraDeps extends CameraDeps {
  /** Jitter source (default the OS CSPRNG). */
  rng?: Rng;
  /** Environment of the child, e.g. a PATH with the tool (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Child-camera options taken from a resolved camera config. */
export function childOptions(cfg: ResolvedCameraConfig): ChildCameraOptions {
  return {
    maxFrameBytes: cfg.maxFrameBytes,
    queueFrames: cfg.queueFrames,
    queueBytes: cfg.queueBytes,
    stallTimeoutMs: cfg.stallTimeoutMs,
    killTimeoutMs: cfg.killTimeoutMs,
    restart: cfg.restart,
  };
}

/** Maps a spawn failure to a coded error; ENOENT names the Debian package to install. */
export function spawnFailure(cmd: ChildCommand, e: unknown): CaptureError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return captureError(
      'CAMERA_BINARY_MISSING',
      `${cmd.binary} not found; install the Debian package ${cmd.debianPackage} (sudo apt install ${cmd.debianPackage}) or set camera.binary`,
      e,
    );
  }
  return captureError('CAMERA_SPAWN_FAILED', `cannot start ${cmd.binary}: ${(e as Error | undefined)?.message ?? String(e)}`, e);
}

/** A Camera fed by a restartable child process writing MJPEG to stdout. */
export class ChildProcessCamera extends BaseCamera {
  readonly kind: string;
  private readonly cmd: ChildCommand;
  private readonly opts: ChildCameraOptions;
  private readonly rng: Rng;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private child: ChildProcess | null = null;
  private childExit: Promise<void> | null = null;
  private childStartedAt = 0n;
  private childFrames = 0;
  private lastActivity = 0n;
  private attempt = 0;
  private restartTimer: TimerHandle | null = null;
  private stallTimer: TimerHandle | null = null;
  private stopping = false;
  private stderrLog: StderrLog | null = null;
  private backoff: Required<BackoffOptions> = DEFAULT_BACKOFF;

  /** Only assigns; validation happens in parseCameraConfig / start(). */
  constructor(cmd: ChildCommand, opts: ChildCameraOptions, deps: ChildCameraDeps) {
    super(deps, opts);
    this.kind = cmd.kind;
    this.cmd = { ...cmd, args: [...cmd.args] };
    this.opts = opts;
    this.rng = deps.rng ?? systemRng;
    this.env = deps.env;
  }

  /** The argv the child is started with (for logs and tests). */
  get command(): readonly string[] {
    return [this.cmd.binary, ...this.cmd.args];
  }

  /**
   * @throws CaptureError CAMERA_BINARY_MISSING (with the package to install) or CAMERA_SPAWN_FAILED;
   * RangeError on bad restart options.
   */
  protected async doStart(): Promise<void> {
    this.stopping = false;
    this.backoff = resolveBackoff(this.opts.restart);
    this.stderrLog = new StderrLog(this.logger.child({ camera: this.kind }), this.clock);
    this.logger.info({ camera: this.kind, argv: this.command }, 'camera: starting');
    await this.launch();
  }

  protected async doStop(): Promise<void> {
    this.stopping = true;
    this.restartTimer?.cancel();
    this.restartTimer = null;
    this.stallTimer?.cancel();
    this.stallTimer = null;
    await this.killChild();
  }

  protected override extraStats(): { restarts: number } {
    return { restarts: this.restarts };
  }

  private launch(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.cmd.binary, this.cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.env ?? process.env, shell: false, windowsHide: true });
      } catch (e) {
        reject(spawnFailure(this.cmd, e));
        return;
      }
      let spawned = false;
      const splitter = new JpegSplitter({
        maxFrameBytes: this.opts.maxFrameBytes,
        onError: (code, detail) => {
          this.recordError(code, detail);
          this.logger.debug({ camera: this.kind, code, detail }, 'camera: splitter error');
        },
      });
      const stderr = new LineSplitter(2048, (line) => this.stderrLog?.line(line));
      let resolveExit!: () => void;
      this.child = child;
      this.childExit = new Promise<void>((r) => (resolveExit = r));
      child.once('spawn', () => {
        spawned = true;
        this.childStartedAt = this.clock.now();
        this.lastActivity = this.childStartedAt;
        this.childFrames = 0;
        this.armStall(child);
        resolve();
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const f of splitter.push(chunk)) this.onFrame(f);
      });
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (e) => {
        if (!spawned) reject(spawnFailure(this.cmd, e));
        else this.logger.warn({ camera: this.kind, err: e.message }, 'camera: child process error');
      });
      child.once('close', (code, signal) => {
        splitter.end();
        stderr.end();
        if (this.child === child) {
          this.child = null;
          this.stallTimer?.cancel();
          this.stallTimer = null;
        }
        resolveExit();
        if (spawned) this.onExit(code, signal);
      });
    });
  }

  private onFrame(bytes: Uint8Array): void {
    const t = this.clock.now();
    this.lastActivity = t;
    this.childFrames++;
    this.noteFrame(t);
    this.emit({ bytes, captureTime: t, contentType: 1, mode: 1 });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const ranMs = Number(this.clock.now() - this.childStartedAt);
    if (ranMs >= this.backoff.resetAfterMs && this.childFrames > 0) this.attempt = 0;
    const msg = `${this.cmd.binary} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) after ${ranMs} ms and ${this.childFrames} frames`;
    this.recordError('CAMERA_EXITED', msg);
    this.logger.warn({ camera: this.kind, code, signal, ranMs, frames: this.childFrames }, 'camera: child exited');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping || this.restartTimer) return;
    const delay = backoffDelay(this.attempt++, this.backoff, jitterFraction(this.rng));
    this.logger.info({ camera: this.kind, delayMs: delay, attempt: this.attempt }, 'camera: restarting after backoff');
    this.restartTimer = this.clock.setTimer(delay, () => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      this.launch().catch((e: CaptureError) => {
        this.recordError(e.code, e.message);
        this.logger.error({ camera: this.kind, code: e.code, err: e.message }, 'camera: restart failed');
        this.scheduleRestart();
      });
    });
  }

  private armStall(child: ChildProcess): void {
    const limit = this.opts.stallTimeoutMs ?? 0;
    if (limit <= 0 || this.stopping) return;
    const wait = Math.max(1, limit - Number(this.clock.now() - this.lastActivity) + 1);
    this.stallTimer = this.clock.setTimer(wait, () => {
      this.stallTimer = null;
      if (this.child !== child || this.stopping) return;
      const idle = Number(this.clock.now() - this.lastActivity);
      if (idle <= limit) {
        this.armStall(child);
        return;
      }
      this.recordError('CAMERA_STALLED', `${this.cmd.binary} produced no frame for ${idle} ms; restarting it`);
      this.logger.warn({ camera: this.kind, idleMs: idle }, 'camera: stalled, killing child');
      void this.killChild();
    });
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the child is gone. */
  private async killChild(): Promise<void> {
    const child = this.child;
    const exited = this.childExit;
    if (!child || !exited) return;
    const grace = this.opts.killTimeoutMs ?? 3000;
    child.kill('SIGTERM');
    const hard = this.clock.setTimer(grace, () => {
      child.kill('SIGKILL');
    });
    const giveUp = this.clock.setTimer(grace * 2, () => {
      // The tool exited but something still holds its pipes: stop waiting.
      child.stdout?.destroy();
      child.stderr?.destroy();
    });
    await exited;
    hard.cancel();
    giveUp.cancel();
  }
}
