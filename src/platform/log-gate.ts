/**
 * A level gate in front of the daemon's logger (pino), so a SIGHUP reload can
 * change `log.level` for the root logger AND every child created before the
 * change (pino children copy their level when created). The wrapped logger
 * runs at its most verbose level; the gate drops what is below the threshold
 * before pino sees it.
 */
import type { Logger } from './logger.js';

/** Log levels of the configuration, most verbose first ('silent' drops everything). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
/** A configured log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

type Method = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The shared, mutable threshold of a gate and all its children. */
export interface LevelControl {
  /** The current level. */
  readonly level: LogLevel;
  /**
   * Changes the threshold of the gate and every child.
   * @throws RangeError on an unknown level
   */
  setLevel(level: LogLevel): void;
}

class Gate implements Logger {
  constructor(
    private readonly base: Logger,
    private readonly t: { rank: number },
  ) {}

  private on(m: Method): boolean {
    return LOG_LEVELS.indexOf(m) >= this.t.rank;
  }

  trace(obj: object | string, msg?: string): void {
    if (this.on('trace')) this.base.trace(obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    if (this.on('debug')) this.base.debug(obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    if (this.on('info')) this.base.info(obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    if (this.on('warn')) this.base.warn(obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    if (this.on('error')) this.base.error(obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new Gate(this.base.child(bindings), this.t);
  }
}

/**
 * Wraps `base` (which should log everything, e.g. pino at level 'trace') in a gate at `level`.
 * @throws RangeError on an unknown level
 */
export function gatedLogger(base: Logger, level: LogLevel): { logger: Logger; control: LevelControl } {
  const rankOf = (l: LogLevel): number => {
    const r = LOG_LEVELS.indexOf(l);
    if (r < 0) throw new RangeError(`level must be one of ${LOG_LEVELS.join(', ')}`);
    return r;
  };
  const t = { rank: rankOf(level) };
  let current = level;
  const control: LevelControl = {
    get level() {
      return current;
    },
    setLevel(l) {
      t.rank = rankOf(l);
      current = l;
    },
  };
  return { logger: new Gate(base, t), control };
}
