/**
 * Composition helpers: build a Camera from the config sections, importing
 * only the backend that is used (STYLE.md §5: tests and the fake never load
 * child_process code, the real backends never load the fake's encoder).
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Rng } from '../platform/rng.js';
import type { Camera } from './camera.js';
import type { CameraConfig } from './config.js';
import { parseCameraConfig } from './config.js';
import type { CapturePolicy } from './policy.js';
import type { PolicyConfig } from './policy-config.js';
import { parsePolicyConfig } from './policy-config.js';
import type { LumaEngine } from './luma.js';

/** Seams for {@link createCamera}. */
export interface CameraFactoryDeps {
  clock: Clock;
  logger?: Logger;
  /** Restart jitter (default OS CSPRNG). */
  rng?: Rng;
  /** Child environment for rpicam/v4l2 (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Seams for {@link createCapturePolicy}. */
export interface PolicyFactoryDeps {
  clock: Clock;
  logger?: Logger;
  /** Motion decoder choice (default 'auto': sharp if importable, else jpeg-js). */
  lumaEngine?: 'auto' | LumaEngine;
}

/**
 * Creates (does not start) the backend Camera of a camera section; it yields
 * every frame as a still (contentType 1, mode 1).
 * @throws CaptureError CAMERA_CONFIG listing every problem of `config`.
 */
export async function createCamera(config: CameraConfig, deps: CameraFactoryDeps): Promise<Camera> {
  const cfg = parseCameraConfig(config);
  if (!deps || typeof deps.clock?.now !== 'function') throw new TypeError('deps.clock must be a Clock');
  switch (cfg.backend) {
    case 'rpicam':
      return (await import('./rpicam.js')).createRpicamCamera(cfg, deps);
    case 'v4l2':
      return (await import('./v4l2.js')).createV4l2Camera(cfg, deps);
    case 'fake':
      return (await import('./fake.js')).createFakeCamera(cfg, deps);
  }
}

/**
 * Creates the policy of a policy section.
 * @throws CaptureError CAMERA_CONFIG listing every problem of `config`.
 */
export async function createCapturePolicy(config: PolicyConfig, deps: PolicyFactoryDeps): Promise<CapturePolicy> {
  const cfg = parsePolicyConfig(config);
  switch (cfg.mode) {
    case 'interval':
      return new (await import('./policy-interval.js')).IntervalPolicy(cfg, deps);
    case 'continuous':
      return new (await import('./policy-continuous.js')).ContinuousPolicy(cfg, deps);
    case 'motion': {
      const { createLumaSampler } = await import('./luma.js');
      const sampler = await createLumaSampler(cfg.motionSampleWidth, cfg.motionSampleHeight, deps.lumaEngine ?? 'auto');
      return new (await import('./policy-motion.js')).MotionPolicy(cfg, { ...deps, sampler });
    }
  }
}

/**
 * Creates (does not start) a Camera of captures: the backend of `camera`
 * filtered by the policy of `policy` (stills for interval/motion, MJPEG
 * segments for continuous). Starting/stopping it starts/stops the backend.
 * @throws CaptureError CAMERA_CONFIG for either section.
 */
export async function createCaptureCamera(camera: CameraConfig, policy: PolicyConfig, deps: CameraFactoryDeps & PolicyFactoryDeps): Promise<Camera> {
  const pol = await createCapturePolicy(policy, deps);
  const src = await createCamera(camera, deps);
  const { PolicyCamera } = await import('./policy-camera.js');
  const cfg = parseCameraConfig(camera);
  return new PolicyCamera(src, pol, deps, { queueFrames: cfg.queueFrames, queueBytes: cfg.queueBytes });
}
