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
import { classifySetting, planSettings, under, type ReloadClass, type SettingsPlan } from '../../platform/config-diff.js';
import type { DeviceConfig } from './config.js';

export { diffPaths, type ReloadClass } from '../../platform/config-diff.js';

/** Settings only a service restart can change (prefix match on dotted paths). */
export const RESTART_ONLY: readonly string[] = [
  'stateDir', 'keys.modulusBits', 'keys.blocks', 'keys.periods', 'keys.periodMs', 'keys.deviceSuite',
  'keys.credentialName', 'keys.requireEncryption',
];

/** Settings applied in place. */
export const LIVE: readonly string[] = ['log', 'camera', 'capture'];

/** The plan for one reload. */
export interface ReloadPlan extends SettingsPlan<DeviceConfig> {
  /** True when the camera must be restarted (camera.* or capture.* changed). */
  readonly cameraChanged: boolean;
  /** True when `log.level` changed. */
  readonly logLevelChanged: boolean;
}

/** The class of one dotted setting path of the device configuration. */
export function classify(path: string): ReloadClass {
  return classifySetting(path, { restartOnly: RESTART_ONLY, live: LIVE });
}

/**
 * Plans a reload from the running configuration `current` to the freshly
 * validated `next` (neither is modified).
 */
export function planReload(current: DeviceConfig, next: DeviceConfig): ReloadPlan {
  const p = planSettings(current, next, { restartOnly: RESTART_ONLY, live: LIVE });
  return {
    ...p,
    cameraChanged: p.live.some((x) => under(x, 'camera') || under(x, 'capture')),
    logLevelChanged: p.live.some((x) => under(x, 'log.level')),
  };
}
