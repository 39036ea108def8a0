/**
 * `fake` backend: synthetic test-card JPEGs (jpeg-js) or the .jpg/.jpeg
 * files of a directory in name order, cycled, at the configured frame rate
 * on the injected Clock.
 *
 * Cost: jpeg-js needs ~80 ms for 640×480 and ~250 ms for 1920×1080 on an x86
 * dev machine (more on a Pi), blocking the event loop. So a fresh frame is encoded only every
 * `fakeRenderEvery` frames (default ceil(w·h / 640·480): every frame at
 * 640×480 and below, every 7th at 1080p); the frames between repeat the last
 * encoding (their captureTime still advances). The default fake size is 640×480.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TimerHandle } from '../platform/clock.js';
import { BaseCamera } from './base-camera.js';
import type { CameraDeps } from './base-camera.js';
import { captureError } from './camera.js';
import type { ResolvedCameraConfig } from './config.js';
import { synthJpeg } from './fake-synth.js';
import { JpegSplitter } from './jpeg-splitter.js';

/** Lists the JPEG files of `dir` in name order. @throws CaptureError CAMERA_FAKE_DIR if unreadable or empty. */
export async function listJpegFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw captureError('CAMERA_FAKE_DIR', `cannot read camera.fakeDir ${dir}: ${(e as Error).message}`, e);
  }
  const files = names.filter((n) => /\.jpe?g$/i.test(n)).sort().map((n) => join(dir, n));
  if (files.length === 0) throw captureError('CAMERA_FAKE_DIR', `camera.fakeDir ${dir} contains no .jpg/.jpeg files`);
  return files;
}

/** A Camera producing synthetic or directory frames on a Clock schedule. */
export class FakeCamera extends BaseCamera {
  readonly kind = 'fake';
  private readonly cfg: ResolvedCameraConfig;
  private files: string[] = [];
  private timer: TimerHandle | null = null;
  private t0 = 0n;
  private n = 0;
  private last: Uint8Array | null = null;
  private inFlight: Promise<void> | null = null;

  /** Only assigns. */
  constructor(cfg: ResolvedCameraConfig, deps: CameraDeps) {
    super(deps, { queueFrames: cfg.queueFrames, queueBytes: cfg.queueBytes });
    this.cfg = cfg;
  }

  /** @throws CaptureError CAMERA_FAKE_DIR if fakeDir is unreadable or has no JPEG files. */
  protected async doStart(): Promise<void> {
    if (this.cfg.fakeDir !== null) this.files = await listJpegFiles(this.cfg.fakeDir);
    this.t0 = this.clock.now();
    this.n = 0;
    this.schedule();
  }

  protected async doStop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.inFlight;
  }

  private schedule(): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const period = 1000 / this.cfg.framerate;
    const now = this.clock.now();
    let due = this.t0 + BigInt(Math.round(this.n * period));
    if (due < now - BigInt(Math.ceil(period))) {
      // Fell behind (slow encode or paused process): skip the missed slots instead of bursting.
      this.n = Math.ceil(Number(now - this.t0) / period);
      due = this.t0 + BigInt(Math.round(this.n * period));
    }
    this.timer = this.clock.setTimer(Math.max(0, Number(due - now)), () => {
      this.timer = null;
      this.inFlight = this.tick().finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    });
  }

  private async tick(): Promise<void> {
    const n = this.n++;
    try {
      const bytes = this.files.length > 0 ? await this.fileFrame(n) : this.synthFrame(n);
      if (!bytes) return;
      const t = this.clock.now();
      this.noteFrame(t);
      this.emit({ bytes, captureTime: t, contentType: 1, mode: 1 });
    } catch (e) {
      this.recordError('CAMERA_FAKE_DIR', (e as Error).message);
      this.logger.warn({ camera: 'fake', err: (e as Error).message }, 'camera: fake frame failed');
    }
  }

  private synthFrame(n: number): Uint8Array {
    if (this.last === null || n % this.cfg.fakeRenderEvery === 0) {
      this.last = synthJpeg(this.cfg.width, this.cfg.height, n, this.clock.now(), this.cfg.quality);
    }
    return this.last.slice();
  }

  /** Reads file n mod count; only a single well-formed JPEG within maxFrameBytes is used. */
  private async fileFrame(n: number): Promise<Uint8Array | null> {
    const path = this.files[n % this.files.length]!;
    if ((await stat(path)).size > this.cfg.maxFrameBytes) {
      this.recordError('CAMERA_FAKE_DIR', `${path} is larger than ${this.cfg.maxFrameBytes} bytes`);
      return null;
    }
    const data = await readFile(path);
    const splitter = new JpegSplitter({ maxFrameBytes: this.cfg.maxFrameBytes });
    const frames = splitter.push(data);
    splitter.end();
    const s = splitter.stats;
    const clean = frames.length === 1 && s.garbageBytes === 0 && Object.keys(s.errors).length === 0;
    if (!clean) {
      this.recordError('CAMERA_FAKE_DIR', `${path} is not exactly one JPEG within ${this.cfg.maxFrameBytes} bytes`);
      return null;
    }
    return frames[0]!;
  }
}

/** Creates (does not start) a fake Camera. */
export function createFakeCamera(cfg: ResolvedCameraConfig, deps: CameraDeps): FakeCamera {
  return new FakeCamera(cfg, deps);
}
