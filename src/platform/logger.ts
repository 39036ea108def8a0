/**
 * The SDK never owns log output (STYLE.md §12): library code takes this
 * pino-compatible interface, defaulting to silence. The daemon passes pino.
 * Never pass key material to a logger.
 */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/** A logger that drops everything. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** A logger that records entries in memory, for tests. */
export class MemoryLogger implements Logger {
  readonly entries: { level: string; obj: object | string; msg?: string }[];

  constructor(entries?: { level: string; obj: object | string; msg?: string }[]) {
    this.entries = entries ?? [];
  }

  private rec(level: string, obj: object | string, msg?: string): void {
    this.entries.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  }

  trace(obj: object | string, msg?: string): void {
    this.rec('trace', obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.rec('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.rec('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.rec('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.rec('error', obj, msg);
  }
  child(): Logger {
    return new MemoryLogger(this.entries);
  }
}
