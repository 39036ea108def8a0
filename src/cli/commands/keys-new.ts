/**
 * `sealcam keys new --state-dir DIR`: creates a device identity (ECDSA key,
 * leave-factory record) and its first forward-secure key cycle, so that
 * `sealcam sign` can sign files on this machine. The device is
 * self-provisioned: a throwaway manufacturer key signs the leave-factory
 * record and only its public key is kept (verifiers must trust it
 * explicitly). Camera makers use `sealcam provision` instead.
 */
import { isSuite, type Suite } from '../../crypto/ecdsa.js';
import { toHex } from '../../platform/bytes.js';
import { createLocalDevice } from '../../device/local-device.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam keys new --state-dir DIR [options]
  --suite 1|2             device key suite: 1 ES256K (default), 2 ES256
  --bits 2048|3072        IR-n modulus size (default 3072; key generation takes seconds to minutes)
  --blocks N              n, maximum blocks per capture (default 16)
  --periods T             periods per key cycle (default 4096)
  --period-ms MS          period length Δ (default 60000)`;

function int(v: unknown, name: string, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < lo || n > hi) throw new Error(`--${name} must be an integer in [${lo}, ${hi}]`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    'state-dir': { type: 'string' }, suite: { type: 'string' }, bits: { type: 'string' }, blocks: { type: 'string' },
    periods: { type: 'string' }, 'period-ms': { type: 'string' },
  }, USAGE, false);
  const stateDir = values['state-dir'];
  if (typeof stateDir !== 'string') {
    console.error(USAGE);
    return 2;
  }
  let params;
  let suite: Suite;
  try {
    const s = int(values['suite'], 'suite', 1, 1, 2);
    if (!isSuite(s)) throw new Error('--suite must be 1 or 2');
    suite = s;
    const k = int(values['bits'], 'bits', 3072, 2048, 3072);
    if (k !== 2048 && k !== 3072) throw new Error('--bits must be 2048 or 3072');
    params = {
      k: k as 2048 | 3072, n: int(values['blocks'], 'blocks', 16, 1, 256), T: int(values['periods'], 'periods', 4096, 2, 2 ** 24),
      delta: int(values['period-ms'], 'period-ms', 60_000, 1, 0xffffffff),
    };
  } catch (e) {
    console.error(`sealcam keys new: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  console.error(`sealcam keys new: generating a ${params.k}-bit key cycle (T = ${params.T}, Δ = ${params.delta} ms)…`);
  const dev = await createLocalDevice(stateDir, suite, 'dev', params);
  try {
    const pk = dev.keys.publicKey!;
    const st = dev.keys.status();
    console.log(JSON.stringify({
      stateDir, suite, deviceAddr: toHex(dev.identity.address), devicePublicKey: toHex(dev.identity.publicKey),
      manufacturerAddr: toHex(dev.identity.manufacturerAddr), keyId: toHex(pk.keyId), k: pk.k, n: pk.n, T: pk.T, periodMs: pk.delta,
      t0: new Date(Number(pk.t0)).toISOString(), cycleEnd: new Date(Number(pk.t0 + BigInt(pk.T) * BigInt(pk.delta))).toISOString(),
      period: st.period,
    }, null, 2));
  } finally {
    await dev.close();
  }
  return 0;
}
