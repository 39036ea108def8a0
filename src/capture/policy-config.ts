/**
 * The capture-policy config section: its schema and bounds (one table, which
 * the device configuration schema embeds), TS types, defaults and a validator
 * that lists every problem at once.
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

/**
 * Bounds of the policy options [min, max, integer], the one table: parsePolicyConfig
 * checks them and the device configuration schema ({@link policySchema}) states them.
 */
export const POLICY_LIMITS = {
  intervalMs: [1, 86_400_000, true],
  motionThreshold: [0, 255, false],
  motionRecheckMs: [1, 3_600_000, true],
  motionMinGapMs: [0, 3_600_000, true],
  motionSampleWidth: [4, 512, true],
  motionSampleHeight: [4, 512, true],
  segmentMs: [100, 600_000, true],
  maxSegmentBytes: [1024, 268_435_456, true],
} as const satisfies Record<keyof typeof POLICY_DEFAULTS, readonly [number, number, boolean]>;
const RANGES: Record<keyof typeof POLICY_DEFAULTS, readonly [number, number, boolean]> = POLICY_LIMITS;

const num = <L extends readonly [number, number, boolean]>(l: L) =>
  ({ type: l[2] ? 'integer' : 'number', minimum: l[0], maximum: l[1] }) as { readonly type: L[2] extends true ? 'integer' : 'number'; readonly minimum: L[0]; readonly maximum: L[1] };

/** The `capture:` section of the device configuration as JSON schema. */
export const policySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'unset values take the defaults of src/capture/policy-config.ts',
  properties: {
    mode: { type: 'string', enum: ['interval', 'motion', 'continuous'], default: 'interval' },
    intervalMs: { ...num(POLICY_LIMITS.intervalMs), description: 'interval mode: one still every intervalMs (default 10000)' },
    motionThreshold: { ...num(POLICY_LIMITS.motionThreshold), description: 'mean absolute luma difference that counts as motion (default 8)' },
    motionRecheckMs: { ...num(POLICY_LIMITS.motionRecheckMs), description: 'with no motion, check again after this long (default 3000)' },
    motionMinGapMs: { ...num(POLICY_LIMITS.motionMinGapMs), description: 'after a motion capture, wait at least this long (default 1000)' },
    motionSampleWidth: num(POLICY_LIMITS.motionSampleWidth),
    motionSampleHeight: num(POLICY_LIMITS.motionSampleHeight),
    segmentMs: { ...num(POLICY_LIMITS.segmentMs), description: 'continuous mode: segment duration (default 5000)' },
    maxSegmentBytes: num(POLICY_LIMITS.maxSegmentBytes),
  },
} as const;

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
