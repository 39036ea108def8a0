/**
 * The product flow through the real CLI, for the product tests: a manufacturer
 * key on the "factory machine", the two-step provisioning of a fresh state
 * directory (request → sign-factory → install), an owner key, and a daemon
 * configuration (fake camera or the fake rpicam-vid, TCP on 127.0.0.1:0, k = 2048).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../helpers/daemon.js';

/** Runs the CLI and asserts exit 0. */
export async function cliOk(args: string[], o: Parameters<typeof runCli>[1] = {}): Promise<CliResult> {
  const r = await runCli(args, o);
  assert.equal(r.code, 0, `sealcam ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** A provisioned device. */
export interface Provisioned {
  readonly stateDir: string;
  readonly manKey: string;
  readonly manufacturer: { suite: 1 | 2; publicKey: string; address: string };
  readonly deviceAddr: string;
  readonly summary: Record<string, unknown>;
}

/** Key cycle options of the tests (fast: k = 2048, fixture primes). */
export const CYCLE = ['--bits', '2048', '--blocks', '2', '--periods', '64', '--period-ms', '1000'];

/** Manufacturer key, then provision request → sign-factory → install, all through the CLI. */
export async function provisionDevice(dir: string, entry?: string[]): Promise<Provisioned> {
  const o = entry ? { entry } : {};
  const manKey = join(dir, 'manufacturer.key');
  const man = JSON.parse((await cliOk(['provision', 'new-manufacturer-key', manKey], o)).stdout) as { suite: 1 | 2; publicKey: string; address: string };
  const stateDir = join(dir, 'state');
  const req = join(dir, 'provision-request.json');
  await writeFile(req, (await cliOk(['provision', '--state-dir', stateDir, ...CYCLE], o)).stdout);
  const factory = join(dir, 'factory.json');
  await cliOk(['provision', 'sign-factory', '--manufacturer-key', manKey, '--out', factory, req], o);
  const summary = JSON.parse((await cliOk(['provision', 'install', '--state-dir', stateDir, factory], o)).stdout) as Record<string, unknown>;
  return { stateDir, manKey, manufacturer: man, deviceAddr: String(summary.deviceAddr), summary };
}

/** Creates an owner key file; returns its address. */
export async function ownerKey(path: string): Promise<{ path: string; address: string; publicKey: string }> {
  const r = JSON.parse((await cliOk(['receive', '--new-key', path])).stdout) as { address: string; publicKey: string };
  return { path, address: r.address, publicKey: r.publicKey };
}

/** Options of {@link writeDeviceConfig}. */
export interface DeviceConfigOptions {
  stateDir: string;
  backend?: 'fake' | 'rpicam';
  level?: string;
  intervalMs?: number;
  framerate?: number;
  periods?: number;
  stallTimeoutMs?: number;
  /** The outbox section (flow mapping body). */
  outbox?: string;
  /** The TCP listener's port (default 0: any free port). */
  tcpPort?: number;
  /** Extra YAML lines (top level). */
  extra?: string[];
}

/** Writes a device config (fast keys, TCP on 127.0.0.1, port 0 unless given). */
export async function writeDeviceConfig(path: string, o: DeviceConfigOptions): Promise<void> {
  const cam = [`backend: ${o.backend ?? 'fake'}`, 'width: 160', 'height: 128', `framerate: ${o.framerate ?? 10}`];
  if (o.stallTimeoutMs !== undefined) cam.push(`stallTimeoutMs: ${o.stallTimeoutMs}`, 'restart: { initialMs: 100, maxMs: 500 }');
  await writeFile(path, [
    'version: 1',
    `stateDir: ${JSON.stringify(o.stateDir)}`,
    `log: { level: ${o.level ?? 'info'} }`,
    `camera: { ${cam.join(', ')} }`,
    `capture: { mode: interval, intervalMs: ${o.intervalMs ?? 250} }`,
    `keys: { modulusBits: 2048, blocks: 2, periods: ${o.periods ?? 64}, periodMs: 1000, nextCycleAt: 0.5, nextCycleLeadMs: 0 }`,
    `outbox: { ${o.outbox ?? 'retryBaseMs: 50, retryMaxMs: 1000'} }`,
    `tcp: { enabled: true, host: 127.0.0.1, port: ${o.tcpPort ?? 0} }`,
    ...(o.extra ?? []),
    '',
  ].join('\n'));
}
