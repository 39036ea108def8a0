/**
 * `sealcam keys status (--state-dir DIR | --config FILE)`: the device
 * identity and its key cycles. While the daemon runs (it holds the keystore)
 * the answer comes from its health file; otherwise the state directory is
 * opened (which, like a daemon start, moves the key state to the current
 * period: past period keys are erased — forward security). Prints JSON,
 * with `certificate` (the Content Credentials certificate's subject, issuer
 * and validity, or null).
 */
import { runningDaemonPid } from '../../device/identity/bind-inbox.js';
import { loadDeviceConfig } from '../../device/daemon/config.js';
import { readHealthFile, type HealthRecord } from '../../device/daemon/health.js';
import { readDeviceChain, summarizeDeviceChain } from '../../device/identity/certificate.js';
import { openLocalDevice } from '../../device/identity/local-device.js';
import { toHex } from '../../platform/bytes.js';
import { SealcamError } from '../../platform/errors.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam keys status (--state-dir DIR | --config FILE)`;

const iso = (ms: bigint | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'state-dir': { type: 'string' }, config: { type: 'string' } }, USAGE, false);
  const stateDir = typeof values['state-dir'] === 'string'
    ? values['state-dir']
    : typeof values['config'] === 'string' ? (await loadDeviceConfig(values['config'])).stateDir : undefined;
  if (stateDir === undefined) throw new SealcamError('CLI_USAGE', USAGE);
  const pid = await runningDaemonPid(stateDir);
  // Content Credentials: the device certificate (public, readable next to a running daemon).
  const chain = await readDeviceChain(stateDir);
  const certificate = chain ? summarizeDeviceChain(chain) : null;
  if (pid !== null) {
    const h = (await readHealthFile(stateDir)) as Partial<HealthRecord> | null;
    console.log(JSON.stringify({ source: `daemon ${pid}`, at: h?.at ?? null, device: h?.status?.device ?? null, keys: h?.status?.keys ?? null, certificate }, null, 2));
    return 0;
  }
  const dev = await openLocalDevice(stateDir);
  try {
    const s = dev.keys.status();
    const pk = dev.keys.publicKey;
    console.log(JSON.stringify({
      source: 'state-dir',
      device: dev.identity.toJSON(),
      keys: {
        keyId: s.keyId ? toHex(s.keyId) : null, period: s.period, T: s.T, k: pk?.k ?? null, n: pk?.n ?? null, periodMs: pk?.delta ?? null,
        t0: iso(pk?.t0 ?? null), cycleEnd: iso(s.cycleEnd), nextKeyId: s.nextKeyId ? toHex(s.nextKeyId) : null,
        chainLength: s.chainLength, awaitingWitness: s.awaitingWitness,
      },
      certificate,
    }, null, 2));
  } finally {
    await dev.close();
  }
  return 0;
}
