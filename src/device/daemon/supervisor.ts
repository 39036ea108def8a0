/**
 * The daemon's supervisor (docs/DAEMON.md "Signals", "Reload"): owns the
 * running DeviceDaemon, the health file and the service-manager protocol
 * around reloads. A reload (SIGHUP) first handles owner requests waiting in
 * the inbox (bind-apply.ts), then re-reads the configuration: an invalid one
 * is refused with EVERY problem logged and the running one kept; a valid one
 * is planned (reload.ts): log level in place, camera/capture by restarting the
 * camera, other settings (and an owner change) by restarting the daemon's
 * components in this process, restart-only settings kept at their old values
 * with a warning. sd_notify: RELOADING=1 … READY=1 around it; STOPPING=1 only
 * for the real stop. Reloads and the stop are serialised.
 */
import { systemClock, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Notifier } from '../../platform/sd-notify.js';
import { afterOwnerChange, handleOwnerInbox, type OwnerChange } from '../identity/bind-apply.js';
import { ConfigError, loadDeviceConfig, type DeviceConfig } from './config.js';
import { semanticProblems } from './build.js';
import { DeviceDaemon, type DaemonOptions } from './daemon.js';
import { configuredDestinations, OWNER_ID } from '../delivery/destinations.js';
import { HEALTH_INTERVAL_MS, HEALTH_STALL_MS, HealthWriter } from './health.js';
import type { LevelControl } from '../../platform/log-gate.js';
import { planReload, type ReloadPlan } from './reload.js';

/** Options of {@link DaemonSupervisor}. */
export interface SupervisorOptions {
  readonly configPath: string;
  /** The validated configuration to start with. */
  readonly config: DeviceConfig;
  /** The (gated) daemon logger. */
  readonly logger: Logger;
  /** Its level control (log.level is applied live). */
  readonly levels: LevelControl;
  readonly notifier: Notifier;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly dev?: boolean;
  readonly healthIntervalMs?: number;
  /** Extra DeviceDaemon options (tests: keygen, camera, drainMs). */
  readonly daemon?: Partial<Pick<DaemonOptions, 'keygen' | 'camera' | 'drainMs' | 'rng'>>;
  /** Called when the daemon could not be brought back after a failed reload (the process should exit 1). */
  onFatal?(e: unknown): void;
}

/** What a reload did (also logged). */
export interface ReloadOutcome {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly plan: ReloadPlan | null;
  readonly owner: OwnerChange;
  readonly componentsRestarted: boolean;
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}

/** See the file comment. Lifecycle: `start()` → `reload()`* → `stop()`. */
export class DaemonSupervisor {
  private daemon: DeviceDaemon | null = null;
  private cfg: DeviceConfig;
  private restarting = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly health: HealthWriter;
  private readonly proxy: Notifier;

  /** Only assigns. */
  constructor(private readonly o: SupervisorOptions) {
    this.cfg = o.config;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger;
    const raw = o.notifier;
    // A component restart stops the old daemon: systemd must not see its STOPPING=1.
    this.proxy = {
      enabled: raw.enabled,
      notify: (f) => (this.restarting && 'STOPPING' in f ? Promise.resolve() : raw.notify(f)),
      flush: () => raw.flush(),
    };
    this.health = new HealthWriter(this.cfg.stateDir, this.clock, this.log.child({ component: 'health' }), () => this.snapshot(),
      o.healthIntervalMs ?? HEALTH_INTERVAL_MS);
  }

  /** The running configuration. */
  get config(): DeviceConfig {
    return this.cfg;
  }

  /** The current daemon (replaced by a component restart). */
  get current(): DeviceDaemon | null {
    return this.daemon;
  }

  private snapshot(): { state: string; progress: boolean; status: ReturnType<DeviceDaemon['status']> | null } {
    const d = this.daemon;
    if (this.restarting) return { state: 'reloading', progress: true, status: null };
    if (!d) return { state: 'starting', progress: false, status: null };
    const status = d.status();
    return { state: status.state, progress: d.healthy(HEALTH_STALL_MS), status };
  }

  private async startDaemon(cfg: DeviceConfig): Promise<void> {
    const d = new DeviceDaemon({
      ...this.o.daemon, config: cfg, logger: this.log, notifier: this.proxy, clock: this.clock,
      ...(this.o.env ? { env: this.o.env } : {}), ...(this.o.dev ? { dev: true } : {}),
    });
    this.daemon = d;
    await d.start();
  }

  /**
   * Starts the health file and the daemon.
   * @throws like DeviceDaemon.start (the health file then says 'failed')
   */
  start(): Promise<void> {
    const p = (async (): Promise<void> => {
      this.health.start();
      try {
        await this.startDaemon(this.cfg);
        await this.health.write();
      } catch (e) {
        await this.health.stop('failed');
        throw e;
      }
    })();
    this.queue = p.catch(() => {}); // a SIGHUP during the start waits for it
    return p;
  }

  /** Reloads (see the file comment); serialised with other reloads and the stop. Never rejects. */
  reload(): Promise<ReloadOutcome> {
    const p = this.queue.then(() => this.doReload());
    this.queue = p.catch(() => {});
    return p;
  }

  private async loadNext(): Promise<{ next: DeviceConfig | null; problems: string[] }> {
    let next: DeviceConfig;
    try {
      next = await loadDeviceConfig(this.o.configPath, this.o.env ?? process.env);
    } catch (e) {
      return { next: null, problems: e instanceof ConfigError ? e.problems : [(e as Error).message] };
    }
    const problems = semanticProblems(next);
    const id = this.daemon?.deviceIdentity;
    if (id) problems.push(...configuredDestinations(next, id).problems);
    return { next: problems.length > 0 ? null : next, problems };
  }

  private async doReload(): Promise<ReloadOutcome> {
    const log = this.log;
    const d = this.daemon;
    const noOwner: OwnerChange = { changed: false, wasBound: false };
    if (!d || d.status().state !== 'running') {
      log.warn('device: SIGHUP while the daemon is not running; ignored');
      return { ok: false, problems: ['daemon not running'], plan: null, owner: noOwner, componentsRestarted: false };
    }
    log.info({ config: this.o.configPath }, 'device: SIGHUP: reloading');
    void this.o.notifier.notify({ RELOADING: '1', MONOTONIC_USEC: monotonicUsec(), STATUS: 'reloading' }).catch(() => {});
    const owner = await handleOwnerInbox(this.cfg.stateDir, {
      deviceIdentity: d.deviceIdentity, ownerPending: () => d.status().outbox?.destinations[OWNER_ID]?.pending ?? 0,
    }, log.child({ component: 'bind' }));
    const { next, problems } = await this.loadNext();
    if (!next) {
      log.error({ config: this.o.configPath, problems }, `device: reload refused: the configuration has ${problems.length} problem(s); the running configuration is kept`);
      for (const p of problems) log.error({ problem: p }, 'device: configuration problem');
    }
    const plan = next ? planReload(this.cfg, next) : null;
    if (plan && plan.restart.length > 0) {
      log.warn({ settings: plan.restart }, 'device: these settings only change with a restart of the service (systemctl restart sealcam-device); their old values stay in effect');
    }
    const target = plan?.config ?? this.cfg;
    if (plan?.logLevelChanged) this.o.levels.setLevel(target.log.level);
    const restart = owner.changed || (plan?.components.length ?? 0) > 0;
    try {
      if (restart) await this.restartComponents(target, owner);
      else if (plan?.cameraChanged) await this.restartCamera(d, target);
      else this.cfg = target;
    } finally {
      if (!restart) void this.o.notifier.notify({ READY: '1', STATUS: 'running' }).catch(() => {});
    }
    const outcome = { ok: next !== null, problems, plan, owner, componentsRestarted: restart };
    log.info({
      ok: outcome.ok, changed: plan?.changed ?? [], live: plan?.live ?? [], components: plan?.components ?? [],
      restartNeeded: plan?.restart ?? [], ownerChanged: owner.changed, componentsRestarted: restart,
    }, 'device: reload done');
    await this.health.write();
    return outcome;
  }

  private async restartCamera(d: DeviceDaemon, target: DeviceConfig): Promise<void> {
    try {
      await d.restartCamera(target);
      this.cfg = target;
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'device: the camera did not start with the new settings; back to the running ones');
      const keep = { ...target, camera: this.cfg.camera, capture: this.cfg.capture };
      this.cfg = keep;
      await d.restartCamera(keep).catch((e2: unknown) => this.log.error({ err: (e2 as Error).message }, 'device: the camera did not restart'));
    }
  }

  private async restartComponents(target: DeviceConfig, owner: OwnerChange): Promise<void> {
    this.restarting = true;
    this.log.info({ ownerChanged: owner.changed }, 'device: restarting the components with the new configuration');
    try {
      await this.daemon?.stop();
      if (owner.changed) await afterOwnerChange(target.stateDir, owner.wasBound, target, this.clock, this.log.child({ component: 'bind' }));
      try {
        await this.startDaemon(target);
        this.cfg = target;
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'device: the daemon did not start with the new configuration; back to the running one');
        await this.startDaemon(this.cfg);
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'device: the daemon could not be restarted');
      this.o.onFatal?.(e);
    } finally {
      this.restarting = false;
    }
  }

  /** Stops the daemon (after a reload in progress) and marks the health file 'stopped'. Never rejects. */
  stop(): Promise<void> {
    const p = this.queue.then(async () => {
      await this.daemon?.stop();
      await this.health.stop('stopped');
    });
    this.queue = p.catch(() => {});
    return p;
  }
}
