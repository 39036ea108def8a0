/**
 * `sealcam provision`: make a device leave the factory (docs/DEPLOY.md "Provision").
 *
 *   sealcam provision --state-dir DIR [--suite 1|2] [cycle options]                      (device, step 1)
 *   sealcam provision sign-factory --manufacturer-key FILE [--out FILE] REQUEST.json     (factory machine, step 2)
 *   sealcam provision install --state-dir DIR [cycle options] FACTORY.json               (device, step 3)
 *   sealcam provision --state-dir DIR --manufacturer-key FILE [cycle options]            (all three at once)
 *   sealcam provision new-manufacturer-key FILE [--suite 1|2]                            (factory machine, once)
 *
 * The device secret never leaves the device; the manufacturer key never
 * touches it in the two-step flow. Exit 0 ok, 1 failure, 2 usage.
 */
import { isSuite, type Suite } from '../../crypto/ecdsa.js';
import { loadDeviceConfig } from '../../device/config.js';
import type { CycleParams } from '../../device/local-device.js';
import { installFactory, prepareDevice } from '../../device/provision.js';
import { provisionRequestFromJson, provisionRequestToJson, signFactoryFromRequest } from '../../device/provision-request.js';
import { recordFromJson, recordToJson } from '../../ledger/record-codec.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { toHex } from '../../platform/bytes.js';
import { SealcamError } from '../../platform/errors.js';
import { createKeyFile, readKeyFile } from '../../receiver/identity.js';
import { parse, readJsonFile, type Parsed } from '../args.js';

const USAGE = `usage: sealcam provision --state-dir DIR [--suite 1|2] [--manufacturer-key FILE] [cycle options]
       sealcam provision sign-factory --manufacturer-key FILE [--out FILE] REQUEST.json
       sealcam provision install --state-dir DIR [cycle options] FACTORY.json
       sealcam provision new-manufacturer-key FILE [--suite 1|2]

  --state-dir DIR          the device state directory (or take stateDir from --config)
  --config FILE            device configuration: stateDir, keys.deviceSuite and the cycle defaults
  --suite 1|2              suite of a new key: 1 ES256K (default), 2 ES256
  --manufacturer-key FILE  manufacturer key file {"suite","secret"} (mode 0600; see new-manufacturer-key)
  --out FILE               sign-factory: write the leave-factory record here (default: stdout)
cycle options (first key cycle; default: the keys section of --config, else 3072 / 16 / 4096 / 60000):
  --bits 2048|3072  --blocks N  --periods T  --period-ms MS

Without --manufacturer-key, the first form only creates the device key and prints the
provisioning request (also in DIR/provision-request.json) for the manufacturer to sign.`;

const OPTIONS = {
  'state-dir': { type: 'string' }, config: { type: 'string' }, suite: { type: 'string' }, 'manufacturer-key': { type: 'string' },
  out: { type: 'string' }, bits: { type: 'string' }, blocks: { type: 'string' }, periods: { type: 'string' }, 'period-ms': { type: 'string' },
} as const;

const usage = (msg: string): SealcamError<'CLI_USAGE'> => new SealcamError('CLI_USAGE', `${msg}\n${USAGE}`);

function int(v: unknown, name: string, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < lo || n > hi) throw usage(`--${name} must be an integer in [${lo}, ${hi}]`);
  return n;
}

interface DeviceArgs {
  stateDir: string;
  suite: Suite | undefined;
  params: CycleParams;
}

async function deviceArgs(v: Parsed['values']): Promise<DeviceArgs> {
  const cfg = typeof v['config'] === 'string' ? await loadDeviceConfig(v['config']) : null;
  const stateDir = typeof v['state-dir'] === 'string' ? v['state-dir'] : cfg?.stateDir;
  if (stateDir === undefined) throw usage('--state-dir (or --config) is required');
  const s = v['suite'] === undefined ? cfg?.keys.deviceSuite : int(v['suite'], 'suite', 1, 1, 2);
  if (s !== undefined && !isSuite(s)) throw usage('--suite must be 1 or 2');
  const k = int(v['bits'], 'bits', cfg?.keys.modulusBits ?? 3072, 2048, 3072);
  if (k !== 2048 && k !== 3072) throw usage('--bits must be 2048 or 3072');
  return {
    stateDir, suite: s,
    params: {
      k, n: int(v['blocks'], 'blocks', cfg?.keys.blocks ?? 16, 1, 256), T: int(v['periods'], 'periods', cfg?.keys.periods ?? 4096, 2, 2 ** 24),
      delta: int(v['period-ms'], 'period-ms', cfg?.keys.periodMs ?? 60_000, 1, 0xffffffff),
    },
  };
}

async function install(a: DeviceArgs, record: ReturnType<typeof signFactoryFromRequest>): Promise<number> {
  console.error(`sealcam provision: generating the first ${a.params.k}-bit key cycle (T = ${a.params.T}, Δ = ${a.params.delta} ms)…`);
  const summary = await installFactory(a.stateDir, record, a.params);
  console.log(JSON.stringify(summary, null, 2));
  return 0;
}

async function step1(v: Parsed['values']): Promise<number> {
  const a = await deviceArgs(v);
  const { request, created, file } = await prepareDevice(a.stateDir, a.suite !== undefined ? { suite: a.suite } : {});
  if (typeof v['manufacturer-key'] !== 'string') {
    console.error(`sealcam provision: ${created ? 'created the device key' : 'the device key exists'}; provisioning request in ${file}`);
    console.log(JSON.stringify(provisionRequestToJson(request), null, 2));
    return 0;
  }
  const m = await readKeyFile(v['manufacturer-key'], 'manufacturer');
  return install(a, signFactoryFromRequest(request, m));
}

async function signFactory(v: Parsed['values'], files: string[]): Promise<number> {
  if (typeof v['manufacturer-key'] !== 'string' || files.length !== 1) throw usage('sign-factory needs --manufacturer-key FILE and one REQUEST.json');
  const request = provisionRequestFromJson(await readJsonFile(files[0]!));
  const m = await readKeyFile(v['manufacturer-key'], 'manufacturer');
  const json = JSON.stringify(recordToJson(signFactoryFromRequest(request, m)), null, 2) + '\n';
  if (typeof v['out'] === 'string') await writeFileAtomic(v['out'], new TextEncoder().encode(json), { mode: 0o644 });
  else process.stdout.write(json);
  console.error(`sealcam provision: leave-factory record for device ${toHex(request.deviceAddr)} signed by manufacturer ${toHex(m.addr)}` +
    ` (receivers trust it with --manufacturer-key ${m.suite}:${toHex(m.publicKey)})`);
  return 0;
}

async function installCmd(v: Parsed['values'], files: string[]): Promise<number> {
  if (files.length !== 1) throw usage('install needs one FACTORY.json');
  const rec = recordFromJson(await readJsonFile(files[0]!));
  if (rec.kind !== 'factory') throw usage(`${files[0]} is a ${rec.kind} record, not a leave-factory record`);
  return install(await deviceArgs(v), rec);
}

async function newManufacturerKey(v: Parsed['values'], files: string[]): Promise<number> {
  if (files.length !== 1) throw usage('new-manufacturer-key needs one FILE');
  const suite = int(v['suite'], 'suite', 1, 1, 2) as Suite;
  const id = await createKeyFile(files[0]!, suite, 'manufacturer');
  console.log(JSON.stringify({ file: files[0], suite, publicKey: toHex(id.publicKey), address: toHex(id.addr) }));
  return 0;
}

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, USAGE);
  const [sub, ...files] = positionals;
  if (sub === 'sign-factory') return signFactory(values, files);
  if (sub === 'install') return installCmd(values, files);
  if (sub === 'new-manufacturer-key') return newManufacturerKey(values, files);
  if (sub !== undefined) throw usage(`unknown subcommand or argument '${sub}'`);
  return step1(values);
}
