/**
 * `sealcam provision`: make a device leave the factory (docs/DEPLOY.md "Provision").
 *
 *   sealcam provision --state-dir DIR [--suite 1|2] [cycle options]                      (device, step 1: key + first key cycle)
 *   sealcam provision sign-factory --manufacturer-key FILE [--out FILE] REQUEST.json     (factory machine, step 2)
 *   sealcam provision install --state-dir DIR FACTORY.json                               (device, step 3)
 *   sealcam provision --state-dir DIR --manufacturer-key FILE [cycle options]            (all three at once)
 *   sealcam provision new-manufacturer-key FILE [--suite 1|2]                            (factory machine, once)
 *   sealcam provision ca-cert --manufacturer-key FILE                                    (a maker CA for an existing key)
 *
 * A suite-2 manufacturer key also has a maker CA certificate (Content
 * Credentials, src/device/identity/certificate.ts), by default next to the key file
 * (`maker.json` → `maker.ca.pem`); signing the factory record of a suite-2
 * device with it also issues the device's certificate chain, which travels
 * next to the record (`FACTORY.json` → `FACTORY.chain.pem`) and is installed
 * with it. The device secret never leaves the device; the manufacturer key
 * never touches it in the two-step flow. Exit 0 ok, 1 failure, 2 usage.
 */
import { stat } from 'node:fs/promises';
import { isSuite, type Suite } from '../../crypto/ecdsa.js';
import { loadDeviceConfig } from '../../device/daemon/config.js';
import type { CycleParams } from '../../device/identity/local-device.js';
import { installFactory, prepareDevice } from '../../device/identity/provision.js';
import { provisionRequestFromJson, provisionRequestToJson, signFactoryFromRequest } from '../../device/identity/provision-request.js';
import { recordFromJson, recordToJson } from '../../ledger/record-codec.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { toHex } from '../../platform/bytes.js';
import { SealcamError } from '../../platform/errors.js';
import { systemRng } from '../../platform/rng.js';
import { createKeyFile, readKeyFile, type ReceiverIdentity } from '../../receiver/identity.js';
import { issueDeviceChain, makeMakerCa, pemChain, readPemChainFile } from '../../device/identity/certificate.js';
import { intOption, parse, readJsonFile, type Parsed } from '../args.js';

const USAGE = `usage: sealcam provision --state-dir DIR [--suite 1|2] [--manufacturer-key FILE [--ca-cert CA.pem]] [cycle options]
       sealcam provision sign-factory --manufacturer-key FILE [--ca-cert CA.pem] [--out FILE] [--cert-out CHAIN.pem] REQUEST.json
       sealcam provision install --state-dir DIR [--cert CHAIN.pem] FACTORY.json
       sealcam provision new-manufacturer-key FILE [--suite 1|2] [--ca-cert CA.pem] [--organization NAME]
       sealcam provision ca-cert --manufacturer-key FILE [--ca-cert CA.pem] [--organization NAME]

  --state-dir DIR          the device state directory (or take stateDir from --config)
  --config FILE            device configuration: stateDir, keys.deviceSuite and the cycle defaults
  --suite 1|2              suite of a new key: 2 ES256 (default; can sign Content Credentials), 1 ES256K
  --manufacturer-key FILE  manufacturer key file {"suite","secret"} (mode 0600; see new-manufacturer-key)
  --ca-cert FILE           the maker CA certificate (PEM) of a suite-2 manufacturer key
                           (default: next to the key file, maker.json -> maker.ca.pem); new-manufacturer-key
                           and ca-cert write it, sign-factory and the one-step form issue suite-2 devices a
                           Content Credentials certificate from it
  --organization NAME      the maker's name in the CA certificate (O; shown by C2PA readers as the issuer)
  --out FILE               sign-factory: write the leave-factory record here (default: stdout)
  --cert-out FILE          sign-factory: write the device's certificate chain here (default: next to --out,
                           FACTORY.json -> FACTORY.chain.pem)
  --cert FILE              install: the device's certificate chain (default: FACTORY.chain.pem when it exists)
cycle options (first key cycle; default: the keys section of --config, else 3072 / 16 / 65536 / 60000):
  --bits 2048|3072  --blocks N  --periods T  --period-ms MS

Without --manufacturer-key, the first form creates the device key and the first key cycle
and prints the provisioning request (also in DIR/provision-request.json) for the
manufacturer to sign; the leave-factory record it returns pins that first cycle.`;

const OPTIONS = {
  'state-dir': { type: 'string' }, config: { type: 'string' }, suite: { type: 'string' }, 'manufacturer-key': { type: 'string' },
  out: { type: 'string' }, 'ca-cert': { type: 'string' }, organization: { type: 'string' }, 'cert-out': { type: 'string' }, cert: { type: 'string' },
  bits: { type: 'string' }, blocks: { type: 'string' }, periods: { type: 'string' }, 'period-ms': { type: 'string' },
} as const;

const usage = (msg: string): SealcamError<'CLI_USAGE'> => new SealcamError('CLI_USAGE', `${msg}\n${USAGE}`);


interface DeviceArgs {
  stateDir: string;
  suite: Suite | undefined;
  params: CycleParams;
}

async function deviceArgs(v: Parsed['values']): Promise<DeviceArgs> {
  const cfg = typeof v['config'] === 'string' ? await loadDeviceConfig(v['config']) : null;
  const stateDir = typeof v['state-dir'] === 'string' ? v['state-dir'] : cfg?.stateDir;
  if (stateDir === undefined) throw usage('--state-dir (or --config) is required');
  const s = v['suite'] === undefined ? cfg?.keys.deviceSuite : intOption(v['suite'], 'suite', 2, 1, 2, USAGE);
  if (s !== undefined && !isSuite(s)) throw usage('--suite must be 1 or 2');
  const k = intOption(v['bits'], 'bits', cfg?.keys.modulusBits ?? 3072, 2048, 3072, USAGE);
  if (k !== 2048 && k !== 3072) throw usage('--bits must be 2048 or 3072');
  return {
    stateDir, suite: s,
    params: {
      k, n: intOption(v['blocks'], 'blocks', cfg?.keys.blocks ?? 16, 1, 256, USAGE), T: intOption(v['periods'], 'periods', cfg?.keys.periods ?? 65536, 2, 2 ** 24, USAGE),
      delta: intOption(v['period-ms'], 'period-ms', cfg?.keys.periodMs ?? 60_000, 1, 0xffffffff, USAGE),
    },
  };
}

async function install(stateDir: string, record: ReturnType<typeof signFactoryFromRequest>, chain: Uint8Array[] | null): Promise<number> {
  const summary = await installFactory(stateDir, record, chain ? { certificateChain: chain } : {});
  console.log(JSON.stringify(summary, null, 2));
  return 0;
}

/** `dir/name.json` → `dir/name<suffix>` (else the path plus the suffix). */
function besides(path: string, suffix: string): string {
  return path.endsWith('.json') ? path.slice(0, -'.json'.length) + suffix : path + suffix;
}

/** The maker CA certificate of `--ca-cert` or next to the key file; null (with a note) when absent and not asked for. */
async function makerCa(v: Parsed['values'], keyFile: string): Promise<Uint8Array | null> {
  const explicit = typeof v['ca-cert'] === 'string';
  const path = explicit ? (v['ca-cert'] as string) : besides(keyFile, '.ca.pem');
  const chain = await readPemChainFile(path);
  if (chain === null) {
    if (explicit) throw new SealcamError('CLI_FILE', `no maker CA certificate at ${path}`);
    console.error(`sealcam provision: no maker CA certificate at ${path}: the device gets no Content Credentials certificate` +
      ` (make one with \`sealcam provision ca-cert --manufacturer-key ${keyFile}\`)`);
    return null;
  }
  if (chain.length !== 1) throw new SealcamError('CLI_FILE', `${path} must hold exactly one certificate (the maker CA), not ${chain.length}`);
  return chain[0]!;
}

/** The device's chain when both the device and the maker are suite 2 and the maker has a CA certificate; else null (with a note). */
async function deviceChain(v: Parsed['values'], keyFile: string, m: ReceiverIdentity, deviceSuite: Suite, devicePublicKey: Uint8Array): Promise<Uint8Array[] | null> {
  if (deviceSuite !== 2 || m.suite !== 2) {
    if (typeof v['ca-cert'] === 'string') throw usage(`--ca-cert needs a suite-2 device and a suite-2 manufacturer key (C2PA has no secp256k1); here device ${deviceSuite}, manufacturer ${m.suite}`);
    console.error(`sealcam provision: no Content Credentials certificate: the ${deviceSuite !== 2 ? `device is suite ${deviceSuite}` : `manufacturer key is suite ${m.suite}`} (C2PA needs suite 2, ES256)`);
    return null;
  }
  const ca = await makerCa(v, keyFile);
  if (!ca) return null;
  return issueDeviceChain({ maker: m, caCertificate: ca, deviceSuite, devicePublicKey, now: new Date(), rng: systemRng });
}

async function step1(v: Parsed['values']): Promise<number> {
  const a = await deviceArgs(v);
  console.error(`sealcam provision: device key and first ${a.params.k}-bit key cycle (T = ${a.params.T}, Δ = ${a.params.delta} ms; an existing one is kept)…`);
  const { request, created, file } = await prepareDevice(a.stateDir, a.params, a.suite !== undefined ? { suite: a.suite } : {});
  if (typeof v['manufacturer-key'] !== 'string') {
    console.error(`sealcam provision: ${created ? 'created the device key' : 'the device key exists'}; provisioning request in ${file}`);
    console.log(JSON.stringify(provisionRequestToJson(request), null, 2));
    return 0;
  }
  const m = await readKeyFile(v['manufacturer-key'], 'manufacturer');
  const record = signFactoryFromRequest(request, m, BigInt(Date.now())); // checks the request first
  return install(a.stateDir, record, await deviceChain(v, v['manufacturer-key'], m, request.deviceSuite, request.devicePublicKey));
}

async function signFactory(v: Parsed['values'], files: string[]): Promise<number> {
  if (typeof v['manufacturer-key'] !== 'string' || files.length !== 1) throw usage('sign-factory needs --manufacturer-key FILE and one REQUEST.json');
  const request = provisionRequestFromJson(await readJsonFile(files[0]!));
  const m = await readKeyFile(v['manufacturer-key'], 'manufacturer');
  const chainOut = typeof v['cert-out'] === 'string' ? v['cert-out'] : typeof v['out'] === 'string' ? besides(v['out'], '.chain.pem') : undefined;
  const json = JSON.stringify(recordToJson(signFactoryFromRequest(request, m, BigInt(Date.now()))), null, 2) + '\n'; // checks the request first
  const chain = await deviceChain(v, v['manufacturer-key'], m, request.deviceSuite, request.devicePublicKey);
  if (chain && chainOut === undefined) throw usage('the device certificate chain needs a file: give --out FILE (it goes next to it) or --cert-out FILE');
  if (chain && chainOut !== undefined) {
    await writeFileAtomic(chainOut, new TextEncoder().encode(pemChain(chain)), { mode: 0o644 });
    console.error(`sealcam provision: Content Credentials certificate chain for the device in ${chainOut} (install it with the record)`);
  }
  if (typeof v['out'] === 'string') await writeFileAtomic(v['out'], new TextEncoder().encode(json), { mode: 0o644 });
  else process.stdout.write(json);
  console.error(`sealcam provision: leave-factory record for device ${toHex(request.deviceAddr)} signed by manufacturer ${toHex(m.addr)}` +
    ` (receivers trust it with --manufacturer-key ${m.suite}:${toHex(m.publicKey)})`);
  return 0;
}

async function installCmd(v: Parsed['values'], files: string[]): Promise<number> {
  if (files.length !== 1) throw usage('install needs one FACTORY.json');
  for (const o of ['bits', 'blocks', 'periods', 'period-ms', 'suite']) {
    if (v[o] !== undefined) throw usage(`--${o} belongs to step 1: the first key cycle exists before the factory signs`);
  }
  const rec = recordFromJson(await readJsonFile(files[0]!));
  if (rec.kind !== 'factory') throw usage(`${files[0]} is a ${rec.kind} record, not a leave-factory record`);
  const certPath = typeof v['cert'] === 'string' ? v['cert'] : besides(files[0]!, '.chain.pem');
  const chain = await readPemChainFile(certPath);
  if (chain === null && typeof v['cert'] === 'string') throw new SealcamError('CLI_FILE', `no certificate chain at ${certPath}`);
  return install((await deviceArgs(v)).stateDir, rec, chain);
}

/** Writes the maker CA certificate of a suite-2 manufacturer key; returns its path. */
async function writeMakerCa(v: Parsed['values'], keyFile: string, m: ReceiverIdentity): Promise<string> {
  const path = typeof v['ca-cert'] === 'string' ? v['ca-cert'] : besides(keyFile, '.ca.pem');
  if (await stat(path).then(() => true, () => false)) throw new SealcamError('CLI_FILE', `${path} already exists; not overwriting a CA certificate`);
  const org = typeof v['organization'] === 'string' ? v['organization'] : `sealcam maker ${toHex(m.addr).slice(0, 8)}`;
  if (org.length === 0 || org.length > 54) throw usage('--organization must have 1..54 characters');
  const ca = await makeMakerCa(m, org, new Date(), systemRng);
  await writeFileAtomic(path, new TextEncoder().encode(pemChain([ca])), { mode: 0o644 });
  return path;
}

async function newManufacturerKey(v: Parsed['values'], files: string[]): Promise<number> {
  if (files.length !== 1) throw usage('new-manufacturer-key needs one FILE');
  const suite = intOption(v['suite'], 'suite', 2, 1, 2, USAGE) as Suite;
  if (suite !== 2 && (v['ca-cert'] !== undefined || v['organization'] !== undefined)) throw usage('--ca-cert / --organization need a suite-2 key (C2PA has no secp256k1)');
  const id = await createKeyFile(files[0]!, suite, 'manufacturer');
  const caCert = suite === 2 ? await writeMakerCa(v, files[0]!, id) : null;
  console.log(JSON.stringify({ file: files[0], suite, publicKey: toHex(id.publicKey), address: toHex(id.addr), caCert }));
  return 0;
}

async function caCert(v: Parsed['values'], files: string[]): Promise<number> {
  if (typeof v['manufacturer-key'] !== 'string' || files.length !== 0) throw usage('ca-cert needs --manufacturer-key FILE');
  const m = await readKeyFile(v['manufacturer-key'], 'manufacturer');
  if (m.suite !== 2) throw usage(`the manufacturer key is suite ${m.suite}: a maker CA needs suite 2 (C2PA has no secp256k1)`);
  const path = await writeMakerCa(v, v['manufacturer-key'], m);
  console.log(JSON.stringify({ caCert: path, publicKey: toHex(m.publicKey), address: toHex(m.addr) }));
  return 0;
}

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, USAGE);
  const [sub, ...files] = positionals;
  if (sub === 'sign-factory') return signFactory(values, files);
  if (sub === 'install') return installCmd(values, files);
  if (sub === 'new-manufacturer-key') return newManufacturerKey(values, files);
  if (sub === 'ca-cert') return caCert(values, files);
  if (sub !== undefined) throw usage(`unknown subcommand or argument '${sub}'`);
  return step1(values);
}
