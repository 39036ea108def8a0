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
import { createLocalDevice } from '../../device/identity/local-device.js';
import { intOption, parse } from '../args.js';

const USAGE = `usage: sealcam keys new --state-dir DIR [options]
  --suite 1|2             device key suite: 2 ES256 (default; can sign Content Credentials), 1 ES256K
  --bits 2048|3072        IR-n modulus size (default 3072; key generation takes seconds to minutes)
  --blocks N              n, maximum blocks per capture (default 16)
  --periods T             periods per key cycle (default 65536)
  --period-ms MS          period length Δ (default 60000)`;


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
    const s = intOption(values['suite'], 'suite', 2, 1, 2);
    if (!isSuite(s)) throw new Error('--suite must be 1 or 2');
    suite = s;
    const k = intOption(values['bits'], 'bits', 3072, 2048, 3072);
    if (k !== 2048 && k !== 3072) throw new Error('--bits must be 2048 or 3072');
    params = {
      k: k as 2048 | 3072, n: intOption(values['blocks'], 'blocks', 16, 1, 256), T: intOption(values['periods'], 'periods', 65536, 2, 2 ** 24),
      delta: intOption(values['period-ms'], 'period-ms', 60_000, 1, 0xffffffff),
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
