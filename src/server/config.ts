/**
 * Loads and validates the storage-server configuration: YAML file → environment
 * overrides (`SEALCAM_SERVER_` + path, e.g. `mqtt.url` → `SEALCAM_SERVER_MQTT__URL`,
 * `dataDir` → `SEALCAM_SERVER_DATA_DIR`) → JSON-schema validation with defaults.
 * An invalid configuration is a ServerConfigError listing EVERY problem.
 */
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { applyEnv, describeAjvError, readYamlMapping, schemaEnvPaths, type EnvPath } from '../platform/config-tools.js';
import { SealcamError } from '../platform/errors.js';
import { serverConfigSchema, type ServerConfig } from './config-schema.js';

export type { ServerConfig } from './config-schema.js';

/** Thrown for an unreadable or invalid configuration; `problems` lists every issue. */
export class ServerConfigError extends SealcamError<'CONFIG_INVALID' | 'CONFIG_UNREADABLE'> {
  readonly problems: string[];

  constructor(code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE', problems: string[], options?: { cause?: unknown }) {
    super(code, `server configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ServerConfigError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(serverConfigSchema);

/** Prefix of the environment overrides. */
export const SERVER_ENV_PREFIX = 'SEALCAM_SERVER_';

/** Every leaf path of the schema with its environment variable name. */
export function serverEnvPaths(): EnvPath[] {
  return schemaEnvPaths(serverConfigSchema, SERVER_ENV_PREFIX);
}

/** Applies SEALCAM_SERVER_* overrides from `env` onto a raw config object; returns the names applied. */
export function applyServerEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  return applyEnv(raw, env, serverEnvPaths());
}

/**
 * Validates a raw config object (mutated: defaults filled in).
 * @throws ServerConfigError CONFIG_INVALID listing every problem.
 */
export function validateServerConfig(raw: unknown): ServerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ServerConfigError('CONFIG_INVALID', ['(top level): must be a mapping']);
  if (!validate(raw)) throw new ServerConfigError('CONFIG_INVALID', (validate.errors ?? []).map(describeAjvError));
  const cfg = raw as ServerConfig;
  const problems: string[] = [];
  const keys = cfg.trustedManufacturers.map((t) => `${t.suite}:${t.publicKey}`);
  if (new Set(keys).size !== keys.length) problems.push('trustedManufacturers: duplicate keys');
  if (cfg.mqtt.enabled && !/^(mqtts?|wss?):\/\//.test(cfg.mqtt.url)) problems.push('mqtt.url: must start with mqtt://, mqtts://, ws:// or wss://');
  if (!/^[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._-]{1,64}){0,7}$/.test(cfg.mqtt.topicPrefix)) problems.push('mqtt.topicPrefix: 1..8 levels of [A-Za-z0-9._-], no wildcards');
  if (cfg.mqtt.member !== undefined && cfg.mqtt.shareGroup === undefined) problems.push('mqtt.member: only meaningful with mqtt.shareGroup');
  if (problems.length > 0) throw new ServerConfigError('CONFIG_INVALID', problems);
  return cfg;
}

/** Parses YAML text, then env overrides, then validation. @throws ServerConfigError */
export function parseServerConfig(text: string, env: NodeJS.ProcessEnv = {}): ServerConfig {
  const y = readYamlMapping(text);
  if ('problems' in y) throw new ServerConfigError('CONFIG_INVALID', y.problems);
  applyServerEnv(y.raw, env);
  return validateServerConfig(y.raw);
}

/** Reads, parses and validates a config file. @throws ServerConfigError */
export async function loadServerConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ServerConfigError('CONFIG_UNREADABLE', [`${path}: ${(e as Error).message}`], { cause: e });
  }
  return parseServerConfig(text, env);
}
