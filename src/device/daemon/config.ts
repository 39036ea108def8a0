/**
 * Loads and validates the device configuration with the shared loader
 * (src/platform/config-loader.ts): YAML file → environment overrides
 * (`SEALCAM_` + path) → JSON-schema validation with defaults → the
 * cross-field checks below. An invalid configuration is a ConfigError listing
 * EVERY problem (the daemon refuses to start, and a SIGHUP reload keeps the
 * old configuration).
 */
import { ConfigError, configLoader } from '../../platform/config-loader.js';
import type { EnvPath } from '../../platform/config-tools.js';
import { deviceConfigSchema, type DeviceConfig } from './config-schema.js';

export type { DeviceConfig } from './config-schema.js';
export { ConfigError };

export const ENV_PREFIX = 'SEALCAM_';

function checks(cfg: DeviceConfig): string[] {
  const problems: string[] = [];
  if (cfg.outbox.retryMaxMs < cfg.outbox.retryBaseMs) problems.push('outbox.retryMaxMs: must be >= outbox.retryBaseMs');
  if (cfg.tcp.enabled === false && cfg.mqtt.enabled === false && cfg.ble.enabled === false) {
    problems.push('tcp.enabled, mqtt.enabled, ble.enabled: at least one transport must be enabled');
  }
  if (cfg.mqtt.enabled && cfg.mqtt.servers.length === 0) problems.push('mqtt.servers: at least one storage server is needed when mqtt is enabled');
  const ids = cfg.mqtt.servers.map((s) => s.id);
  if (new Set(ids).size !== ids.length) problems.push('mqtt.servers: server ids must be unique');
  return problems;
}

const loader = configLoader<DeviceConfig>({ schema: deviceConfigSchema, envPrefix: ENV_PREFIX, checks });

/** Every leaf path of the schema with its environment variable name:
 * `camera.backend` → `SEALCAM_CAMERA__BACKEND`, `keys.periodMs` → `SEALCAM_KEYS__PERIOD_MS`. */
export const envOverridePaths = (): EnvPath[] => loader.envPaths();
/** Applies SEALCAM_* overrides from `env` onto a raw (unvalidated) config object. */
export const applyEnvOverrides = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] => loader.applyEnv(raw, env);
/** Validates a raw config object (mutated: defaults filled in). @throws ConfigError CONFIG_INVALID listing every problem. */
export const validateDeviceConfig = (raw: unknown): DeviceConfig => loader.validate(raw);
/** Parses YAML text, then env overrides, then validation. @throws ConfigError */
export const parseDeviceConfig = (text: string, env: NodeJS.ProcessEnv = {}): DeviceConfig => loader.parse(text, env);
/** Reads, parses and validates a config file. @throws ConfigError */
export const loadDeviceConfig = (path: string, env: NodeJS.ProcessEnv = process.env): Promise<DeviceConfig> => loader.load(path, env);
