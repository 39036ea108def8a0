/**
 * The one configuration loader of every daemon (device, storage server):
 * YAML file → environment overrides (`PREFIX` + dotted path, e.g. `mqtt.url`
 * → `PREFIX_MQTT__URL`) → JSON-schema validation with defaults (ajv, every
 * error) → the daemon's cross-field checks. An invalid configuration is a
 * ConfigError listing EVERY problem, so a daemon refuses to start (and a
 * SIGHUP reload keeps the running configuration) with the whole list.
 */
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { applyEnv, describeAjvError, readYamlMapping, schemaEnvPaths, type EnvPath } from './config-tools.js';
import { SealcamError } from './errors.js';

/** Thrown for an unreadable or invalid configuration; `problems` lists every issue, one per line. */
export class ConfigError extends SealcamError<'CONFIG_INVALID' | 'CONFIG_UNREADABLE'> {
  readonly problems: string[];

  constructor(code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE', problems: string[], options?: { cause?: unknown }) {
    super(code, `configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A daemon's loader (see {@link configLoader}). */
export interface ConfigLoader<C> {
  /** Every leaf path of the schema with its environment variable name. */
  envPaths(): EnvPath[];
  /** Applies the overrides from `env` onto a raw config object; returns the variable names applied. */
  applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[];
  /** Validates a raw config object (mutated: defaults filled in). @throws ConfigError CONFIG_INVALID */
  validate(raw: unknown): C;
  /** YAML text, then overrides, then validation. @throws ConfigError */
  parse(text: string, env?: NodeJS.ProcessEnv): C;
  /** Reads, parses and validates a file. @throws ConfigError (CONFIG_UNREADABLE when it cannot be read) */
  load(path: string, env?: NodeJS.ProcessEnv): Promise<C>;
}

/** Builds the loader of one schema. `checks` returns the cross-field problems of a schema-valid config. */
export function configLoader<C>(o: { schema: object; envPrefix: string; checks?: (cfg: C) => string[] }): ConfigLoader<C> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
  const check = ajv.compile(o.schema);
  let paths: EnvPath[] | undefined;
  const loader: ConfigLoader<C> = {
    envPaths: () => (paths ??= schemaEnvPaths(o.schema, o.envPrefix)),
    applyEnv: (raw, env) => applyEnv(raw, env, loader.envPaths()),
    validate(raw) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('CONFIG_INVALID', ['(top level): must be a mapping']);
      if (!check(raw)) throw new ConfigError('CONFIG_INVALID', (check.errors ?? []).map(describeAjvError));
      const cfg = raw as C;
      const problems = o.checks?.(cfg) ?? [];
      if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', problems);
      return cfg;
    },
    parse(text, env = {}) {
      const y = readYamlMapping(text);
      if ('problems' in y) throw new ConfigError('CONFIG_INVALID', y.problems);
      loader.applyEnv(y.raw, env);
      return loader.validate(y.raw);
    },
    async load(path, env = process.env) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new ConfigError('CONFIG_UNREADABLE', [`${path}: ${(e as Error).message}`], { cause: e });
      }
      return loader.parse(text, env);
    },
  };
  return loader;
}
