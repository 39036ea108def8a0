/**
 * Pure-ish helpers of the composition root: component options derived from
 * the validated config, the checks that make a config unusable (exit 2), and
 * the chain head recovered from the outbox after a crash.
 */
import { readFile } from 'node:fs/promises';
import { parseCameraConfig, type CameraConfig } from '../../capture/config.js';
import { parsePolicyConfig, type PolicyConfig } from '../../capture/policy-config.js';
import { headerDigest } from '../../dstp/header.js';
import type { Outbox } from '../../outbox/outbox.js';
import type { OutboxOptions } from '../../outbox/options.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { decodeMessage, MessageKind } from '../../transport/messages.js';
import type { TcpListenOptions } from '../../transport/tcp/tcp-transport.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../transport/transport.js';
import type { ChainHead } from '../keys/chain-state.js';
import { C2PA_RECORD_INDEX } from '../pipeline/types.js';
import type { DeviceConfig } from './config.js';
import { STATE_FILES, statePath } from './state-dir.js';
import { transportProblems } from '../links/config.js';

/** Bytes of a BLOCK message besides the data (header, signatures, proof, lengths) — generous. */
export const BLOCK_OVERHEAD = 4096;
/** Largest block the pipeline produces: one frame of the default size. */
export const MAX_BLOCK_BYTES = DEFAULT_MAX_FRAME_BYTES - BLOCK_OVERHEAD;

/** Camera section → capture/ CameraConfig (the section's schema is capture/'s own; unset keys take capture/ defaults). */
export function cameraConfig(cfg: DeviceConfig): CameraConfig {
  return { ...cfg.camera };
}

/** Capture section → capture/ PolicyConfig (the section's schema is capture/'s own). */
export function policyConfig(cfg: DeviceConfig): PolicyConfig {
  return { ...cfg.capture };
}

/** Problems the JSON schema cannot see (per-backend checks of src/capture: device path, binary, extraArgs, restart). */
export function semanticProblems(cfg: DeviceConfig): string[] {
  const problems: string[] = [];
  for (const f of [() => parseCameraConfig(cameraConfig(cfg)), () => parsePolicyConfig(policyConfig(cfg))]) {
    try {
      f();
    } catch (e) {
      problems.push(...(e as Error).message.replace(/^CAMERA_CONFIG: /, '').split('; '));
    }
  }
  problems.push(...transportProblems(cfg));
  return problems;
}

/** The suite of a new device key: `keys.deviceSuite`, else 2 (ES256, P-256: the suite that can sign Content Credentials). */
export function deviceSuite(cfg: DeviceConfig): 1 | 2 {
  const s = (cfg.keys as { deviceSuite?: unknown }).deviceSuite;
  return s === 1 ? 1 : 2;
}

/** Outbox options from the config. */
export function outboxOptions(cfg: DeviceConfig, stateDir: string, clock: Clock, logger: Logger): OutboxOptions {
  return {
    dir: statePath(stateDir, STATE_FILES.outbox),
    maxBytes: cfg.outbox.maxBytes,
    maxRecords: cfg.outbox.maxRecords,
    retryBaseMs: cfg.outbox.retryBaseMs,
    retryMaxMs: cfg.outbox.retryMaxMs,
    policy: 'refuse',
    clock,
    logger: logger.child({ component: 'outbox' }),
  };
}

/** TCP listener options (TLS files read here), or null when disabled. @throws the fs error for unreadable TLS files */
export async function tcpOptions(cfg: DeviceConfig, clock: Clock): Promise<TcpListenOptions | null> {
  if (!cfg.tcp.enabled) return null;
  const o: TcpListenOptions = { host: cfg.tcp.host, port: cfg.tcp.port, clock };
  const tls = cfg.tcp.tls;
  if (tls) {
    o.tls = { cert: await readFile(tls.cert, 'utf8'), key: await readFile(tls.key, 'utf8'), ...(tls.clientPin ? { clientPins: [tls.clientPin] } : {}) };
  }
  return o;
}

/**
 * The newest capture held in the outbox (its seq and headerDigest), so a head
 * the chain file had not recorded before a crash is not lost. Null when empty.
 */
export async function recoverChainHead(outbox: Outbox, logger: Logger): Promise<ChainHead | null> {
  const pending = outbox.listPending();
  for (let k = pending.length - 1; k >= 0; k--) {
    const p = pending[k]!;
    if (p.corrupt || p.index === C2PA_RECORD_INDEX) continue; // a C2PA message record, not a block
    try {
      const rec = await outbox.read(p.seq, p.index);
      const msg = decodeMessage({ kind: MessageKind.BLOCK, payload: rec.data });
      if (msg.type !== 'block') continue;
      return { seq: p.seq, digest: headerDigest(msg.header) };
    } catch (e) {
      logger.warn({ seq: p.seq.toString(), err: (e as Error).message }, 'device: unreadable outbox record while recovering the chain head');
    }
  }
  return null;
}
