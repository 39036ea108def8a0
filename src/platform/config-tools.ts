/**
 * Shared machinery of the YAML + JSON-schema configurations (device, storage
 * server; STYLE.md §10): environment overrides derived from the schema's
 * paths, human-readable ajv problems, and a strict YAML reader. Each config
 * module keeps its own schema, error class and cross-field rules.
 */
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
}

/** One overridable leaf of a schema. */
export interface EnvPath {
  readonly path: string[];
  /** The variable: prefix + path segments in UPPER_SNAKE joined by `__`. */
  readonly env: string;
  readonly type: string;
}

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every leaf path of `schema`, e.g. `keys.periodMs` → `<prefix>KEYS__PERIOD_MS`. */
export function schemaEnvPaths(schema: unknown, prefix: string): EnvPath[] {
  const out: EnvPath[] = [];
  const walk = (node: SchemaNode, path: string[]): void => {
    if (node.type === 'object' && node.properties) {
      for (const [k, v] of Object.entries(node.properties)) walk(v, [...path, k]);
    } else if (path.length > 0) {
      out.push({ path, env: prefix + path.map(snake).join('__'), type: node.type ?? 'string' });
    }
  };
  walk(schema as SchemaNode, []);
  return out;
}

/**
 * Writes the overrides found in `env` into `raw` (values parsed as JSON unless
 * the leaf is a string; a value that does not parse stays a string, so the
 * schema reports its type with the path). Returns the variables applied.
 */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, paths: readonly EnvPath[]): string[] {
  const applied: string[] = [];
  for (const { path, env: name, type } of paths) {
    const v = env[name];
    if (v === undefined) continue;
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    let value: unknown = v;
    if (type !== 'string') {
      try {
        value = JSON.parse(v) as unknown;
      } catch {
        value = v;
      }
    }
    node[path[path.length - 1]!] = value;
    applied.push(name);
  }
  return applied;
}

/** One ajv error as `path: problem`. */
export function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    return `${where}: unknown key '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
  }
  if (e.keyword === 'enum') return `${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Parses YAML into a mapping, or returns every problem (syntax, duplicate keys, not a mapping). */
export function readYamlMapping(text: string): { raw: Record<string, unknown> } | { problems: string[] } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`) };
  const raw = (doc.toJS() as unknown) ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: ['(top level): must be a mapping'] };
  return { raw: raw as Record<string, unknown> };
}
