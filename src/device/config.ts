/**
 * Loads and validates the device configuration: YAML file → environment
 * overrides → JSON-schema validation with defaults. An invalid configuration
 * is a ConfigError listing EVERY problem (the daemon refuses to start, and a
 * SIGHUP reload keeps the old configuration).
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
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

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
}

/**
 * Every leaf path of the schema with its environment variable name:
 * `camera.backend` → `SEALCAM_CAMERA__BACKEND`, `keys.periodMs` → `SEALCAM_KEYS__PERIOD_MS`.
 */
export function envOverridePaths(): { path: string[]; env: string; type: string }[] {
  const out: { path: string[]; env: string; type: string }[] = [];
  const walk = (node: SchemaNode, path: string[]): void => {
    if (node.type === 'object' && node.properties) {
      for (const [k, v] of Object.entries(node.properties)) walk(v, [...path, k]);
    } else if (path.length > 0) {
      out.push({ path, env: ENV_PREFIX + path.map(snake).join('__'), type: node.type ?? 'string' });
    }
  };
  walk(deviceConfigSchema as unknown as SchemaNode, []);
  return out;
}

function parseEnvValue(raw: string, type: string): unknown {
  if (type === 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw; // the schema reports the wrong type with the path
  }
}

/** Applies SEALCAM_* overrides from `env` onto a raw (unvalidated) config object. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const applied: string[] = [];
  for (const { path, env: name, type } of envOverridePaths()) {
    const v = env[name];
    if (v === undefined) continue;
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = parseEnvValue(v, type);
    applied.push(name);
  }
  return applied;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    return `${where}: unknown key '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
  }
  if (e.keyword === 'enum') return `${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `${where}: ${e.message ?? e.keyword}`;
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
    throw new ConfigError('CONFIG_INVALID', (validate.errors ?? []).map(describe));
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
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError('CONFIG_INVALID', doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`));
  }
  const raw = (doc.toJS() as unknown) ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('CONFIG_INVALID', ['(top level): must be a mapping']);
  }
  applyEnvOverrides(raw as Record<string, unknown>, env);
  return validateDeviceConfig(raw);
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
