/**
 * Loads and validates the storage-server configuration with the shared loader
 * (src/platform/config-loader.ts): YAML file → environment overrides
 * (`SEALCAM_SERVER_` + path, e.g. `mqtt.url` → `SEALCAM_SERVER_MQTT__URL`,
 * `dataDir` → `SEALCAM_SERVER_DATA_DIR`) → JSON-schema validation with
 * defaults → the cross-field checks below. An invalid configuration is a
 * ConfigError listing EVERY problem.
 */
import { publicKeyProblem, type Suite } from '../crypto/ecdsa.js';
import { fromHex } from '../platform/bytes.js';
import { ConfigError, configLoader } from '../platform/config-loader.js';
import type { EnvPath } from '../platform/config-tools.js';
import { serverConfigSchema, type ServerConfig } from './config-schema.js';

export type { ServerConfig } from './config-schema.js';

/** The configuration error of the server (the shared ConfigError). */
export const ServerConfigError = ConfigError;
/** The configuration error of the server (the shared ConfigError). */
export type ServerConfigError = ConfigError;

/** Prefix of the environment overrides. */
export const SERVER_ENV_PREFIX = 'SEALCAM_SERVER_';

function checks(cfg: ServerConfig): string[] {
  const problems: string[] = [];
  const keys = cfg.trustedManufacturers.map((t) => `${t.suite}:${t.publicKey}`);
  if (new Set(keys).size !== keys.length) problems.push('trustedManufacturers: duplicate keys');
  for (const list of ['trustedManufacturers', 'trustedWitnesses'] as const) {
    cfg[list].forEach((t, k) => {
      const problem = publicKeyProblem(t.suite as Suite, fromHex(t.publicKey));
      if (problem !== null) problems.push(`${list}[${k}].publicKey: ${problem}`);
    });
  }
  if (cfg.mqtt.enabled && !/^(mqtts?|wss?):\/\//.test(cfg.mqtt.url)) problems.push('mqtt.url: must start with mqtt://, mqtts://, ws:// or wss://');
  if (!/^[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._-]{1,64}){0,7}$/.test(cfg.mqtt.topicPrefix)) problems.push('mqtt.topicPrefix: 1..8 levels of [A-Za-z0-9._-], no wildcards');
  if (cfg.mqtt.member !== undefined && cfg.mqtt.shareGroup === undefined) problems.push('mqtt.member: only meaningful with mqtt.shareGroup');
  if (cfg.mqtt.maxHeldBytes < cfg.limits.maxFrameBytes) problems.push('mqtt.maxHeldBytes: must be at least limits.maxFrameBytes (one message must fit)');
  return problems;
}

const loader = configLoader<ServerConfig>({ schema: serverConfigSchema, envPrefix: SERVER_ENV_PREFIX, checks });

/** Every leaf path of the schema with its environment variable name. */
export const serverEnvPaths = (): EnvPath[] => loader.envPaths();
/** Applies SEALCAM_SERVER_* overrides from `env` onto a raw config object; returns the names applied. */
export const applyServerEnv = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] => loader.applyEnv(raw, env);
/** Validates a raw config object (mutated: defaults filled in). @throws ConfigError CONFIG_INVALID listing every problem. */
export const validateServerConfig = (raw: unknown): ServerConfig => loader.validate(raw);
/** Parses YAML text, then env overrides, then validation. @throws ConfigError */
export const parseServerConfig = (text: string, env: NodeJS.ProcessEnv = {}): ServerConfig => loader.parse(text, env);
/** Reads, parses and validates a config file. @throws ConfigError */
export const loadServerConfig = (path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> => loader.load(path, env);
