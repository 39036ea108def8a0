/**
 * Loads and validates the device configuration: YAML file → environment
 * overrides → JSON-schema validation with defaults. An invalid configuration
 * is a ConfigError listing EVERY problem (the daemon refuses to start, and a
 * SIGHUP reload keeps the old configuration).
 */
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { applyEnv, describeAjvError, readYamlMapping, schemaEnvPaths, type EnvPath } from '../platform/config-tools.js';
import { SealcamError } from '../platform/errors.js';
import { deviceConfigSchema, type DeviceConfig } from './config-schema.js';

export type { DeviceConfig } from './config-schema.js';

/** Thrown for an unreadable or invalid configuration; `problems` lists every issue, one per line. */
export class ConfigError extends SealcamError<'CONFIG_INVALID' | 'CONFIG_UNREADABLE'> {
  readonly problems: string[];

  constructor(code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE', problems: string[], options?: { cause?: unknown }) {
    super(code, `configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(deviceConfigSchema);

export const ENV_PREFIX = 'SEALCAM_';

/** Every leaf path of the schema with its environment variable name:
 * `camera.backend` → `SEALCAM_CAMERA__BACKEND`, `keys.periodMs` → `SEALCAM_KEYS__PERIOD_MS`. */
export function envOverridePaths(): EnvPath[] {
  return schemaEnvPaths(deviceConfigSchema, ENV_PREFIX);
}

/** Applies SEALCAM_* overrides from `env` onto a raw (unvalidated) config object. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  return applyEnv(raw, env, envOverridePaths());
}

/**
 * Validates a raw config object (mutated: defaults filled in).
 * @throws ConfigError CONFIG_INVALID listing every problem.
 */
export function validateDeviceConfig(raw: unknown): DeviceConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('CONFIG_INVALID', ['(top level): must be a mapping']);
  }
  if (!validate(raw)) {
    throw new ConfigError('CONFIG_INVALID', (validate.errors ?? []).map(describeAjvError));
  }
  const cfg = raw as DeviceConfig;
  const problems: string[] = [];
  if (cfg.outbox.retryMaxMs < cfg.outbox.retryBaseMs) problems.push('outbox.retryMaxMs: must be >= outbox.retryBaseMs');
  if (cfg.tcp.enabled === false && cfg.mqtt.enabled === false && cfg.ble.enabled === false) {
    problems.push('tcp.enabled, mqtt.enabled, ble.enabled: at least one transport must be enabled');
  }
  if (cfg.mqtt.enabled && cfg.mqtt.servers.length === 0) problems.push('mqtt.servers: at least one storage server is needed when mqtt is enabled');
  const ids = cfg.mqtt.servers.map((s) => s.id);
  if (new Set(ids).size !== ids.length) problems.push('mqtt.servers: server ids must be unique');
  if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', problems);
  return cfg;
}

/** Parses YAML text, then env overrides, then validation. @throws ConfigError */
export function parseDeviceConfig(text: string, env: NodeJS.ProcessEnv = {}): DeviceConfig {
  const y = readYamlMapping(text);
  if ('problems' in y) throw new ConfigError('CONFIG_INVALID', y.problems);
  applyEnvOverrides(y.raw, env);
  return validateDeviceConfig(y.raw);
}

/** Reads, parses and validates a config file. @throws ConfigError */
export async function loadDeviceConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<DeviceConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_UNREADABLE', [`${path}: ${(e as Error).message}`], { cause: e });
  }
  return parseDeviceConfig(text, env);
}
