/**
 * Planning a SIGHUP reload of a daemon's configuration (the device daemon and
 * the storage server): the changed settings as dotted paths, each classified as
 * - live: applied in place by the daemon,
 * - components: applied by restarting the daemon's components inside the
 *   running process,
 * - restart: only a restart of the service changes it; the OLD value is kept.
 * Which settings are which is the daemon's list. Pure.
 */

/** How a changed setting is applied. */
export type ReloadClass = 'live' | 'components' | 'restart';

/** A daemon's classification: dotted-path prefixes. Everything else is 'components'. */
export interface SettingClasses {
  readonly restartOnly: readonly string[];
  readonly live: readonly string[];
}

/** The plan for one reload. */
export interface SettingsPlan<C> {
  /** Every changed setting (dotted path), sorted. */
  readonly changed: readonly string[];
  readonly live: readonly string[];
  readonly components: readonly string[];
  /** Changed settings that need a service restart (kept at their old values). */
  readonly restart: readonly string[];
  /** The configuration to run with: the new one, with the `restart` settings at their old values. */
  readonly config: C;
}

/** True when dotted `path` is `prefix` or below it. */
export const under = (path: string, prefix: string): boolean => path === prefix || path.startsWith(prefix + '.');

/** The class of one dotted setting path. */
export function classifySetting(path: string, classes: SettingClasses): ReloadClass {
  if (classes.restartOnly.some((p) => under(path, p))) return 'restart';
  if (classes.live.some((p) => under(path, p))) return 'live';
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
export function planSettings<C extends object>(current: C, next: C, classes: SettingClasses): SettingsPlan<C> {
  const changed = diffPaths(current, next);
  const by = (c: ReloadClass): string[] => changed.filter((p) => classifySetting(p, classes) === c);
  const restart = by('restart');
  const config = structuredClone(next) as unknown as Record<string, unknown>;
  for (const p of restart) {
    const path = p.split('.');
    const old = getPath(current as unknown as Record<string, unknown>, path);
    setPath(config, path, old.found, old.value);
  }
  return { changed, live: by('live'), components: by('components'), restart, config: config as unknown as C };
}
