/**
 * systemd service notification (sd_notify(3)) without a native dependency.
 * Node cannot open AF_UNIX datagram sockets, so messages are sent with the
 * `systemd-notify` tool (systemd ≥ 246 waits on a BARRIER, so systemd can
 * attribute the message to the service's cgroup even though the tool exits
 * right away; the unit should still set NotifyAccess=all). Messages are sent
 * one at a time, in order; a backlog is bounded by coalescing WATCHDOG=1 and
 * STATUS= updates. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import { silentLogger, type Logger } from './logger.js';

/** Sends service state changes to the service manager. */
export interface Notifier {
  /** True when a service manager listens (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** Sends `KEY=value` assignments (e.g. {READY: '1', STATUS: 'capturing'}). Never rejects. */
  notify(fields: Record<string, string>): Promise<void>;
  /** Resolves when every queued message was handed to the tool. */
  flush(): Promise<void>;
}

/** A notifier that drops everything (tests, no systemd). */
export const nullNotifier: Notifier = { enabled: false, notify: async () => {}, flush: async () => {} };

/** Options of {@link createNotifier}. */
export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The notify tool (default `systemd-notify` on PATH). */
  binary?: string;
  /** PID reported as MAINPID with READY=1 (default process.pid). */
  pid?: number;
  /** Queue bound; beyond it older WATCHDOG/STATUS messages are coalesced (default 16). */
  maxQueue?: number;
}

const VALUE_RE = /^[^\n]*$/;

/** Builds the notifier for this process. */
export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return nullNotifier;
  const log = opts.logger ?? silentLogger;
  const binary = opts.binary ?? 'systemd-notify';
  const pid = opts.pid ?? process.pid;
  const maxQueue = opts.maxQueue ?? 16;
  const queue: Record<string, string>[] = [];
  let running: Promise<void> | null = null;
  let warned = false;

  const send = (fields: Record<string, string>): Promise<void> =>
    new Promise((resolve) => {
      const args = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
      if (fields['READY'] === '1') args.unshift(`--pid=${pid}`);
      execFile(binary, args, { env: { ...env, NOTIFY_SOCKET: socket }, timeout: 5000 }, (err) => {
        if (err && !warned) {
          warned = true;
          log.warn({ err: err.message, binary }, 'sd_notify: cannot run the notify tool; systemd will not see service state');
        }
        resolve();
      });
    });

  const pump = async (): Promise<void> => {
    while (queue.length > 0) await send(queue.shift()!);
    running = null;
  };

  return {
    enabled: true,
    notify(fields) {
      for (const [k, v] of Object.entries(fields)) {
        if (!/^[A-Z_]+$/.test(k) || !VALUE_RE.test(v)) throw new RangeError(`invalid sd_notify field ${k}`);
      }
      if (queue.length >= maxQueue) {
        const i = queue.findIndex((q) => Object.keys(q).every((k) => k === 'WATCHDOG' || k === 'STATUS'));
        if (i >= 0) queue.splice(i, 1);
      }
      queue.push(fields);
      running ??= pump();
      return running;
    },
    flush: () => running ?? Promise.resolve(),
  };
}

/**
 * The watchdog ping interval: half of WATCHDOG_USEC, when the watchdog is
 * enabled for this process (WATCHDOG_PID unset or equal to `pid`); else null.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const usec = Number(env['WATCHDOG_USEC']);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  const wpid = env['WATCHDOG_PID'];
  if (wpid !== undefined && wpid !== '' && Number(wpid) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}
