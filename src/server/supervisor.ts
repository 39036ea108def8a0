/**
 * The storage server as a service (docs/SERVER.md "Signals and reload"): owns
 * the running StorageServer and the service-manager protocol. READY=1 once
 * started; WATCHDOG=1 every WatchdogSec/2 while the event loop runs (the
 * broker going away is not a reason to be restarted: the server reconnects
 * on its own, and STATUS= says the broker is unreachable); STOPPING=1 on the
 * stop. A reload (SIGHUP) re-reads the configuration: an invalid one is
 * refused with EVERY problem logged and the running one kept; `log.*` applies
 * in place; `id`, `dataDir` and `key.*` only change with a restart of the
 * service (their old values stay in effect); everything else is applied by
 * restarting the server inside this process (store closed and reopened, the
 * broker session is persistent, so nothing sent meanwhile is lost). Reloads
 * and the stop are serialised.
 */
import { systemClock, type Clock } from '../platform/clock.js';
import { planSettings, type SettingsPlan } from '../platform/config-diff.js';
import type { LevelControl } from '../platform/log-gate.js';
import type { Logger } from '../platform/logger.js';
import type { Notifier } from '../platform/sd-notify.js';
import { ServiceNotifier } from '../platform/service-notifier.js';
import { loadServerConfig, ServerConfigError, type ServerConfig } from './config.js';
import { startStorageServer, type StorageServer, type StorageServerDeps } from './server.js';

/** Settings only a service restart can change (prefix match on dotted paths). */
export const SERVER_RESTART_ONLY: readonly string[] = ['id', 'dataDir', 'key'];
/** Settings applied in place. */
export const SERVER_LIVE: readonly string[] = ['log'];

/** Options of {@link ServerSupervisor}. */
export interface ServerSupervisorOptions {
  readonly configPath: string;
  /** The validated configuration to start with. */
  readonly config: ServerConfig;
  /** The (gated) logger and its level control. */
  readonly logger: Logger;
  readonly levels: LevelControl;
  readonly notifier: Notifier;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Extra seams of the server (tests). */
  readonly deps?: Omit<StorageServerDeps, 'logger' | 'clock'>;
  /** Called when the server could not be brought back after a reload (the process should exit 1). */
  onFatal?(e: unknown): void;
}

/** What a reload did (also logged as `server: reload done`). */
export interface ServerReloadOutcome {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly plan: SettingsPlan<ServerConfig> | null;
  readonly restarted: boolean;
}

/** See the file comment. Lifecycle: `start()` → `reload()`* → `stop()`. */
export class ServerSupervisor {
  private server: StorageServer | null = null;
  private cfg: ServerConfig;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly notify: ServiceNotifier;

  /** Only assigns. */
  constructor(private readonly o: ServerSupervisorOptions) {
    this.cfg = o.config;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger;
    this.notify = new ServiceNotifier(o.notifier, this.clock, () => this.line(), () => true, o.env ?? process.env);
  }

  /** The running server (replaced by a reload that restarts it). */
  get current(): StorageServer | null {
    return this.server;
  }

  /** The running configuration. */
  get config(): ServerConfig {
    return this.cfg;
  }

  private line(): string {
    const s = this.server;
    if (s === null) return 'restarting';
    const st = s.stats();
    return `serving ${s.serverId}: ${s.connected() ? 'broker connected' : 'BROKER UNREACHABLE (reconnecting)'}, ${st.storeBlocks} blocks stored, ${st.rejected} rejected`;
  }

  private startServer(cfg: ServerConfig): Promise<StorageServer> {
    return startStorageServer(cfg, { ...this.o.deps, logger: this.log, clock: this.clock });
  }

  /**
   * Starts the server, then READY=1 and the watchdog.
   * @throws like startStorageServer
   */
  start(): Promise<void> {
    const p = (async (): Promise<void> => {
      const s = await this.startServer(this.cfg);
      this.server = s;
      this.log.info({ id: s.serverId, publicKey: Buffer.from(s.publicKey).toString('hex'), url: s.url }, 'server: ready');
      this.notify.ready();
    })();
    this.queue = p.catch(() => {});
    return p;
  }

  /** Reloads (see the file comment); serialised with other reloads and the stop. Never rejects. */
  reload(): Promise<ServerReloadOutcome> {
    const p = this.queue.then(() => this.doReload());
    this.queue = p.catch(() => {});
    return p;
  }

  private async doReload(): Promise<ServerReloadOutcome> {
    const log = this.log;
    log.info({ config: this.o.configPath }, 'server: SIGHUP: reloading');
    void this.o.notifier.notify({ RELOADING: '1', MONOTONIC_USEC: (process.hrtime.bigint() / 1000n).toString(), STATUS: 'reloading' }).catch(() => {});
    let next: ServerConfig | null = null;
    let problems: string[] = [];
    try {
      next = await loadServerConfig(this.o.configPath, this.o.env ?? process.env);
    } catch (e) {
      problems = e instanceof ServerConfigError ? e.problems : [(e as Error).message];
      log.error({ config: this.o.configPath, problems }, `server: reload refused: the configuration has ${problems.length} problem(s); the running configuration is kept`);
    }
    const plan = next ? planSettings(this.cfg, next, { restartOnly: SERVER_RESTART_ONLY, live: SERVER_LIVE }) : null;
    if (plan && plan.restart.length > 0) {
      log.warn({ settings: plan.restart }, 'server: these settings only change with a restart of the service (systemctl restart sealcam-server); their old values stay in effect');
    }
    if (plan && plan.live.includes('log.level')) this.o.levels.setLevel(plan.config.log.level);
    const restart = plan !== null && plan.components.length > 0;
    if (restart) await this.restartServer(plan.config);
    else if (plan) this.cfg = plan.config;
    void this.o.notifier.notify({ READY: '1', STATUS: this.line() }).catch(() => {});
    log.info({ ok: next !== null, changed: plan?.changed ?? [], live: plan?.live ?? [], components: plan?.components ?? [], restartNeeded: plan?.restart ?? [], restarted: restart },
      'server: reload done');
    return { ok: next !== null, problems, plan, restarted: restart };
  }

  private async restartServer(target: ServerConfig): Promise<void> {
    this.log.info('server: restarting the server with the new configuration');
    const old = this.server;
    this.server = null;
    try {
      await old?.stop();
      try {
        this.server = await this.startServer(target);
        this.cfg = target;
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'server: the server did not start with the new configuration; back to the running one');
        this.server = await this.startServer(this.cfg);
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'server: the server could not be restarted');
      this.o.onFatal?.(e);
    }
  }

  /** A snapshot for SIGUSR2 and tests. */
  status(): unknown {
    return this.server === null ? null : { line: this.line(), stats: this.server.stats() };
  }

  /** STOPPING=1, then stops the server (after a reload in progress). Never rejects. */
  stop(): Promise<void> {
    const p = this.queue.then(async () => {
      this.notify.stopping();
      await this.server?.stop().catch((e: Error) => this.log.error({ err: e.message }, 'server: stop failed'));
      await this.notify.flush();
    });
    this.queue = p.catch(() => {});
    return p;
  }
}
