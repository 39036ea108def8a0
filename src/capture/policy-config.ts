/**
 * The capture-policy config section: TS types, defaults and a validator that
 * lists every problem at once.
 */
import { captureError } from './camera.js';

/** Policy modes. */
export type PolicyMode = 'interval' | 'motion' | 'continuous';

/** The policy section as written in the config file (optional fields get defaults). */
export interface PolicyConfig {
  mode: PolicyMode;
  /** interval: one still every intervalMs (default 10 000). */
  intervalMs?: number;
  /** motion: capture when the mean absolute luma difference (0..255) of consecutive frames exceeds this (default 8). */
  motionThreshold?: number;
  /** motion: with no motion, check again after this long (default 3000). */
  motionRecheckMs?: number;
  /** motion: after a motion capture, the next check waits at least this long (default 1000). */
  motionMinGapMs?: number;
  /** motion: size of the downscaled luma image compared (default 64×48). */
  motionSampleWidth?: number;
  motionSampleHeight?: number;
  /** continuous: duration of one MJPEG segment in ms (default 5000). */
  segmentMs?: number;
  /** continuous: a segment is closed early at this size (default 32 MiB). */
  maxSegmentBytes?: number;
}

/** A validated policy section with every default filled in. */
export type ResolvedPolicyConfig = Required<PolicyConfig>;

/** Policy defaults. */
export const POLICY_DEFAULTS = {
  intervalMs: 10_000,
  motionThreshold: 8,
  motionRecheckMs: 3_000,
  motionMinGapMs: 1_000,
  motionSampleWidth: 64,
  motionSampleHeight: 48,
  segmentMs: 5_000,
  maxSegmentBytes: 32 * 1024 * 1024,
} satisfies Omit<ResolvedPolicyConfig, 'mode'>;

const RANGES: Record<keyof typeof POLICY_DEFAULTS, [number, number, boolean]> = {
  intervalMs: [1, 86_400_000, true],
  motionThreshold: [0, 255, false],
  motionRecheckMs: [0, 3_600_000, true],
  motionMinGapMs: [0, 3_600_000, true],
  motionSampleWidth: [4, 512, true],
  motionSampleHeight: [4, 512, true],
  segmentMs: [100, 600_000, true],
  maxSegmentBytes: [1024, 1 << 30, true],
};

/**
 * Validates a policy section and fills in defaults.
 * @throws CaptureError CAMERA_CONFIG listing every problem.
 */
export function parsePolicyConfig(input: unknown): ResolvedPolicyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw captureError('CAMERA_CONFIG', 'policy config must be an object');
  }
  const c = input as Record<string, unknown>;
  const errs: string[] = [];
  if (c.mode !== 'interval' && c.mode !== 'motion' && c.mode !== 'continuous') {
    errs.push("policy.mode must be 'interval', 'motion' or 'continuous'");
  }
  const out: Record<string, unknown> = { mode: c.mode };
  for (const k of Object.keys(c)) if (k !== 'mode' && !(k in RANGES)) errs.push(`policy.${k} is not a known option`);
  for (const [k, [lo, hi, int]] of Object.entries(RANGES)) {
    const v = c[k] ?? POLICY_DEFAULTS[k as keyof typeof POLICY_DEFAULTS];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isSafeInteger(v))) {
      errs.push(`policy.${k} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
    }
    out[k] = v;
  }
  if (errs.length > 0) throw captureError('CAMERA_CONFIG', errs.join('; '));
  return out as ResolvedPolicyConfig;
}
