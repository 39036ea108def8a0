/**
 * The `camera:` config section: its schema and bounds (one table, which the
 * device configuration schema embeds), TS types, defaults and a validator that
 * lists every problem at once (STYLE.md §10) before anything is spawned.
 */
import type { BackoffOptions } from './backoff.js';
import { resolveBackoff } from './backoff.js';
import { captureError } from './camera.js';
import { DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_FRAMES } from './base-camera.js';
import { DEFAULT_MAX_FRAME_BYTES } from './jpeg-splitter.js';

/** Camera backends. */
export type CameraBackend = 'rpicam' | 'v4l2' | 'fake';

/** The camera section as written in the config file (optional fields get defaults). */
export interface CameraConfig {
  backend: CameraBackend;
  /** Frame size in pixels (default 1920x1080 for rpicam/v4l2, 640x480 for fake). */
  width?: number;
  height?: number;
  /** Frames per second (default 10). */
  framerate?: number;
  /** JPEG quality 1..100 (rpicam and fake; default 85). */
  quality?: number;
  /** v4l2 device, an absolute /dev path (default /dev/video0). */
  device?: string;
  /** Executable name on PATH or a path (default 'rpicam-vid' / 'ffmpeg'). */
  binary?: string;
  /** Extra arguments appended to the rpicam-vid command / inserted before ffmpeg's input options. */
  extraArgs?: string[];
  /** fake: cycle the .jpg/.jpeg files of this directory instead of synthetic frames. */
  fakeDir?: string;
  /** fake: encode a fresh synthetic JPEG only every N frames (default: ceil(w·h / 640·480)). */
  fakeRenderEvery?: number;
  /** Largest accepted frame (default 16 MiB). */
  maxFrameBytes?: number;
  /** Bounded frame queue (defaults 8 frames, 64 MiB). */
  queueFrames?: number;
  queueBytes?: number;
  /** Restart a child that produced no frame for this long; 0 disables (default 10 000). */
  stallTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace on stop/restart (default 3000). */
  killTimeoutMs?: number;
  /** Child restart backoff. */
  restart?: BackoffOptions;
}

/** A validated camera section with every default filled in. */
export interface ResolvedCameraConfig {
  backend: CameraBackend;
  width: number;
  height: number;
  framerate: number;
  quality: number;
  device: string;
  binary: string;
  extraArgs: string[];
  fakeDir: string | null;
  fakeRenderEvery: number;
  maxFrameBytes: number;
  queueFrames: number;
  queueBytes: number;
  stallTimeoutMs: number;
  killTimeoutMs: number;
  restart: Required<BackoffOptions>;
}

/** Defaults shared by every backend. */
export const CAMERA_DEFAULTS = {
  framerate: 10,
  quality: 85,
  device: '/dev/video0',
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  queueFrames: DEFAULT_QUEUE_FRAMES,
  queueBytes: DEFAULT_QUEUE_BYTES,
  stallTimeoutMs: 10_000,
  killTimeoutMs: 3_000,
} satisfies Partial<ResolvedCameraConfig>;

/** Per-backend size and binary defaults. */
export const BACKEND_DEFAULTS = {
  rpicam: { width: 1920, height: 1080, binary: 'rpicam-vid' },
  v4l2: { width: 1920, height: 1080, binary: 'ffmpeg' },
  fake: { width: 640, height: 480, binary: '' },
} satisfies Record<CameraBackend, { width: number; height: number; binary: string }>;

/**
 * Bounds of the integer camera options, the one table: parseCameraConfig checks
 * them and the device configuration schema ({@link cameraSchema}) states them.
 */
export const CAMERA_LIMITS = {
  width: [16, 8192],
  height: [16, 8192],
  quality: [1, 100],
  fakeRenderEvery: [1, 1000],
  maxFrameBytes: [1024, 268_435_456],
  queueFrames: [1, 1024],
  queueBytes: [1024, 1_073_741_824],
  /** 0 disables the stall restart. */
  stallTimeoutMs: [0, 3_600_000],
  killTimeoutMs: [10, 600_000],
} as const satisfies Record<string, readonly [number, number]>;
/** framerate is a number in (0, MAX_FRAMERATE]. */
export const MAX_FRAMERATE = 240;
/** Most extraArgs entries. */
export const MAX_EXTRA_ARGS = 64;

const int = <L extends readonly [number, number]>(l: L) => ({ type: 'integer', minimum: l[0], maximum: l[1] }) as const;

/** The `camera:` section as JSON schema (the device configuration schema embeds it). */
export const cameraSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'unset values take per-backend defaults (src/capture/config.ts): rpicam/v4l2 1920x1080, fake 640x480',
  properties: {
    backend: { type: 'string', enum: ['rpicam', 'v4l2', 'fake'], default: 'fake' },
    width: int(CAMERA_LIMITS.width),
    height: int(CAMERA_LIMITS.height),
    framerate: { type: 'number', exclusiveMinimum: 0, maximum: MAX_FRAMERATE },
    quality: int(CAMERA_LIMITS.quality),
    device: { type: 'string', description: 'v4l2 device node (default /dev/video0)' },
    binary: { type: 'string', description: 'path of rpicam-vid or ffmpeg (default: found on PATH)' },
    extraArgs: { type: 'array', items: { type: 'string' }, maxItems: MAX_EXTRA_ARGS },
    fakeDir: { type: 'string', description: 'fake backend: cycle the .jpg files of this directory' },
    fakeRenderEvery: { ...int(CAMERA_LIMITS.fakeRenderEvery), description: 'fake backend: encode a fresh frame every N frames' },
    maxFrameBytes: int(CAMERA_LIMITS.maxFrameBytes),
    queueFrames: { ...int(CAMERA_LIMITS.queueFrames), description: 'unsigned frames buffered before the oldest is dropped' },
    queueBytes: int(CAMERA_LIMITS.queueBytes),
    stallTimeoutMs: { ...int(CAMERA_LIMITS.stallTimeoutMs), description: 'restart the camera process after this long without a frame; 0 never' },
    killTimeoutMs: int(CAMERA_LIMITS.killTimeoutMs),
    restart: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initialMs: { type: 'integer', minimum: 1 },
        maxMs: { type: 'integer', minimum: 1 },
        factor: { type: 'number', minimum: 1 },
        resetAfterMs: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

const KEYS = new Set(Object.keys(cameraSchema.properties));

function intIn(errs: string[], name: keyof typeof CAMERA_LIMITS, v: unknown): void {
  const [lo, hi] = CAMERA_LIMITS[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) errs.push(`camera.${name} must be an integer in [${lo}, ${hi}]`);
}

/**
 * Validates a camera section and fills in defaults.
 * @throws CaptureError CAMERA_CONFIG listing every problem.
 */
export function parseCameraConfig(input: unknown): ResolvedCameraConfig {
  const errs: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw captureError('CAMERA_CONFIG', 'camera config must be an object');
  }
  const c = input as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!KEYS.has(k)) errs.push(`camera.${k} is not a known option`);
  const backend = c.backend;
  if (backend !== 'rpicam' && backend !== 'v4l2' && backend !== 'fake') {
    throw captureError('CAMERA_CONFIG', `camera.backend must be 'rpicam', 'v4l2' or 'fake'${errs.length ? '; ' + errs.join('; ') : ''}`);
  }
  const bd = BACKEND_DEFAULTS[backend];
  const r: ResolvedCameraConfig = {
    backend,
    width: (c.width ?? bd.width) as number,
    height: (c.height ?? bd.height) as number,
    framerate: (c.framerate ?? CAMERA_DEFAULTS.framerate) as number,
    quality: (c.quality ?? CAMERA_DEFAULTS.quality) as number,
    device: (c.device ?? CAMERA_DEFAULTS.device) as string,
    binary: (c.binary ?? bd.binary) as string,
    extraArgs: (c.extraArgs ?? []) as string[],
    fakeDir: (c.fakeDir ?? null) as string | null,
    fakeRenderEvery: 1,
    maxFrameBytes: (c.maxFrameBytes ?? CAMERA_DEFAULTS.maxFrameBytes) as number,
    queueFrames: (c.queueFrames ?? CAMERA_DEFAULTS.queueFrames) as number,
    queueBytes: (c.queueBytes ?? CAMERA_DEFAULTS.queueBytes) as number,
    stallTimeoutMs: (c.stallTimeoutMs ?? CAMERA_DEFAULTS.stallTimeoutMs) as number,
    killTimeoutMs: (c.killTimeoutMs ?? CAMERA_DEFAULTS.killTimeoutMs) as number,
    restart: resolveBackoffSafe(errs, c.restart),
  };
  for (const k of ['width', 'height', 'quality', 'maxFrameBytes', 'queueFrames', 'queueBytes', 'stallTimeoutMs', 'killTimeoutMs'] as const) intIn(errs, k, r[k]);
  if (typeof r.framerate !== 'number' || !(r.framerate > 0 && r.framerate <= MAX_FRAMERATE)) errs.push(`camera.framerate must be a number in (0, ${MAX_FRAMERATE}]`);
  if (typeof r.device !== 'string' || !/^\/dev\/[^\0]+$/.test(r.device) || r.device.includes('..')) {
    errs.push('camera.device must be an absolute path under /dev/ (e.g. /dev/video0)');
  }
  if (backend !== 'fake' && (typeof r.binary !== 'string' || r.binary.length === 0 || r.binary.startsWith('-') || r.binary.includes('\0'))) {
    errs.push('camera.binary must be a non-empty executable name or path');
  }
  if (!Array.isArray(r.extraArgs) || r.extraArgs.length > MAX_EXTRA_ARGS || !r.extraArgs.every((a) => typeof a === 'string' && a.length <= 1024 && !a.includes('\0'))) {
    errs.push(`camera.extraArgs must be an array of at most ${MAX_EXTRA_ARGS} strings without NUL`);
  }
  if (r.fakeDir !== null && (typeof r.fakeDir !== 'string' || r.fakeDir.length === 0)) errs.push('camera.fakeDir must be a directory path');
  if (c.fakeRenderEvery !== undefined) {
    intIn(errs, 'fakeRenderEvery', c.fakeRenderEvery);
    r.fakeRenderEvery = c.fakeRenderEvery as number;
  } else if (typeof r.width === 'number' && typeof r.height === 'number') {
    r.fakeRenderEvery = Math.max(1, Math.ceil((r.width * r.height) / (640 * 480)));
  }
  if (errs.length > 0) throw captureError('CAMERA_CONFIG', errs.join('; '));
  return r;
}

function resolveBackoffSafe(errs: string[], v: unknown): Required<BackoffOptions> {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    errs.push('camera.restart must be an object');
    return resolveBackoff();
  }
  try {
    return resolveBackoff(v as BackoffOptions | undefined);
  } catch (e) {
    errs.push(`camera.restart: ${(e as Error).message}`);
    return resolveBackoff();
  }
}
