/**
 * What a SIGHUP reload does with a changed configuration (docs/DAEMON.md
 * "Reload"): every changed leaf is classified as
 * - live: applied in place (`log.*`; `camera.*` and `capture.*` restart the camera only),
 * - components: applied by restarting the daemon's components inside the
 *   running process (outbox retry, receivers, storage servers, TCP, MQTT, BLE,
 *   health; the key state and the chain are reloaded from disk, nothing is lost),
 * - restart: cannot change while the service runs (the state directory and the
 *   key parameters); the OLD value is kept and a restart of the service is asked for.
 * Pure.
 */
import type { DeviceConfig } from './config.js';

/** How a changed setting is applied. */
export type ReloadClass = 'live' | 'components' | 'restart';

/** Settings only a service restart can change (prefix match on dotted paths). */
export const RESTART_ONLY: readonly string[] = [
  'stateDir', 'keys.modulusBits', 'keys.blocks', 'keys.periods', 'keys.periodMs', 'keys.deviceSuite',
  'keys.credentialName', 'keys.requireEncryption',
];

/** Settings applied in place. */
export const LIVE: readonly string[] = ['log', 'camera', 'capture'];

/** The plan for one reload. */
export interface ReloadPlan {
  /** Every changed setting (dotted path), sorted. */
  readonly changed: readonly string[];
  readonly live: readonly string[];
  readonly components: readonly string[];
  /** Changed settings that need a service restart (kept at their old values). */
  readonly restart: readonly string[];
  /** The configuration to run with: the new one, with the `restart` settings at their old values. */
  readonly config: DeviceConfig;
  /** True when the camera must be restarted (camera.* or capture.* changed). */
  readonly cameraChanged: boolean;
  /** True when `log.level` changed. */
  readonly logLevelChanged: boolean;
}

const under = (path: string, prefix: string): boolean => path === prefix || path.startsWith(prefix + '.');

/** The class of one dotted setting path. */
export function classify(path: string): ReloadClass {
  if (RESTART_ONLY.some((p) => under(path, p))) return 'restart';
  if (LIVE.some((p) => under(path, p))) return 'live';
  return 'components';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dotted paths whose values differ (objects are walked; arrays and scalars compare as JSON). */
export function diffPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], prefix === '' ? k : `${prefix}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix === '' ? '(top level)' : prefix];
}

function getPath(o: Record<string, unknown>, path: string[]): { found: boolean; value: unknown } {
  let cur: unknown = o;
  for (const k of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return { found: false, value: undefined };
    cur = cur[k];
  }
  return { found: true, value: cur };
}

function setPath(o: Record<string, unknown>, path: string[], found: boolean, value: unknown): void {
  let cur = o;
  for (const k of path.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (found) cur[last] = structuredClone(value);
  else delete cur[last];
}

/**
 * Plans a reload from the running configuration `current` to the freshly
 * validated `next` (neither is modified).
 */
export function planReload(current: DeviceConfig, next: DeviceConfig): ReloadPlan {
  const changed = diffPaths(current, next);
  const by = (c: ReloadClass): string[] => changed.filter((p) => classify(p) === c);
  const restart = by('restart');
  const config = structuredClone(next) as unknown as Record<string, unknown>;
  for (const p of restart) {
    const path = p.split('.');
    const old = getPath(current as unknown as Record<string, unknown>, path);
    setPath(config, path, old.found, old.value);
  }
  const live = by('live');
  return {
    changed, live, components: by('components'), restart, config: config as unknown as DeviceConfig,
    cameraChanged: live.some((p) => under(p, 'camera') || under(p, 'capture')),
    logLevelChanged: live.some((p) => under(p, 'log.level')),
  };
}
