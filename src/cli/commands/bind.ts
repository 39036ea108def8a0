/**
 * `sealcam bind`: bind the device to an owner, or release it (docs/DEPLOY.md "Bind").
 *
 *   sealcam bind request --owner-key FILE --device ADDR [--nonce HEX] [--out FILE]          (owner)
 *   sealcam bind unbind-request --owner-key FILE --device ADDR [--nonce HEX] [--out FILE]   (owner)
 *   sealcam bind (--state-dir DIR | --config FILE) [--unbind] [--force] [--out FILE] REQUEST.json   (device)
 *
 * The device side hands the request to the running daemon (inbox + SIGHUP,
 * src/device/identity/bind-inbox.ts), which signs with the device key and restarts its
 * components so later headers carry the new owner; with no daemon running it
 * opens the keystore itself. Prints the answer as JSON. Exit 0 accepted,
 * 1 refused or failed, 2 usage.
 */
import { randomBytes } from 'node:crypto';
import { afterOwnerChange } from '../../device/identity/bind-apply.js';
import { runningDaemonPid, submitToDaemon } from '../../device/identity/bind-inbox.js';
import { applyOwnerRequest, parseOwnerRequest, resultJson } from '../../device/identity/bind.js';
import { loadDeviceConfig, validateDeviceConfig, type DeviceConfig } from '../../device/daemon/config.js';
import { outboxOptions } from '../../device/daemon/build.js';
import { OWNER_ID } from '../../device/delivery/destinations.js';
import { loadDeviceIdentity } from '../../device/identity/identity.js';
import { checkStateOwner } from '../../device/identity/provision.js';
import { STATE_FILES, statePath } from '../../device/daemon/state-dir.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import { recordToJson } from '../../ledger/record-codec.js';
import { signBindRequest, signUnbindRecord } from '../../ledger/records.js';
import { Outbox } from '../../outbox/outbox.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { equalBytes, fromHex, toHex } from '../../platform/bytes.js';
import { systemClock } from '../../platform/clock.js';
import { SealcamError } from '../../platform/errors.js';
import { silentLogger } from '../../platform/logger.js';
import { readKeyFile } from '../../receiver/identity.js';
import { parse, readJsonFile, type Parsed } from '../args.js';

const USAGE = `usage: sealcam bind request --owner-key FILE --device ADDR [--nonce HEX] [--out FILE]
       sealcam bind unbind-request --owner-key FILE --device ADDR [--nonce HEX] [--out FILE]
       sealcam bind (--state-dir DIR | --config FILE) [--unbind] [--force] [--out FILE] [--timeout MS] REQUEST.json

owner side:
  --owner-key FILE   the owner's key file {"suite","secret"} (sealcam receive --new-key FILE)
  --device ADDR      the device address (40 hex digits; printed by sealcam provision)
  --nonce HEX        32-byte nonce (64 hex digits; default: random). Each nonce is accepted once.
device side:
  --state-dir DIR    the device state directory (or take stateDir from --config)
  --unbind           REQUEST.json is the owner's unbind record
  --force            unbind even though blocks are still queued for the owner (they are dropped)
  --out FILE         also write the resulting record JSON here
  --timeout MS       how long to wait for the running daemon (default 60000)`;

const OPTIONS = {
  'owner-key': { type: 'string' }, device: { type: 'string' }, nonce: { type: 'string' }, out: { type: 'string' },
  'state-dir': { type: 'string' }, config: { type: 'string' }, unbind: { type: 'boolean' }, force: { type: 'boolean' }, timeout: { type: 'string' },
} as const;

const usage = (msg: string): SealcamError<'CLI_USAGE'> => new SealcamError('CLI_USAGE', `${msg}\n${USAGE}`);

async function writeOut(path: string, json: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'), { mode: 0o644 });
}

async function ownerSide(v: Parsed['values'], unbind: boolean): Promise<number> {
  const dev = v['device'];
  const nonceHex = v['nonce'] ?? randomBytes(32).toString('hex');
  if (typeof v['owner-key'] !== 'string' || typeof dev !== 'string') throw usage('--owner-key and --device are required');
  if (!/^[0-9a-f]{40}$/.test(dev)) throw usage('--device must be 40 lowercase hex digits');
  if (typeof nonceHex !== 'string' || !/^[0-9a-f]{64}$/.test(nonceHex)) throw usage('--nonce must be 64 lowercase hex digits');
  const owner = await readKeyFile(v['owner-key']);
  const p = { ownerSuite: owner.suite, ownerSecret: owner.secret, deviceAddr: fromHex(dev), nonce: fromHex(nonceHex) };
  const json = recordToJson(unbind ? signUnbindRecord(p) : signBindRequest(p));
  if (typeof v['out'] === 'string') await writeOut(v['out'], json);
  else console.log(JSON.stringify(json, null, 2));
  console.error(`sealcam bind: ${unbind ? 'unbind record' : 'bind request'} of owner ${toHex(owner.addr)} for device ${dev} (nonce ${nonceHex.slice(0, 16)}…)`);
  return 0;
}

/** No daemon runs: take the keystore and apply the request here. */
async function offline(stateDir: string, cfg: DeviceConfig, request: unknown, force: boolean): Promise<Record<string, unknown>> {
  await checkStateOwner(stateDir);
  const credentialsDirectory = process.env['CREDENTIALS_DIRECTORY'];
  const ks = await FileKeyStore.open({
    dir: statePath(stateDir, STATE_FILES.keys), credentialName: cfg.keys.credentialName, ...(credentialsDirectory ? { credentialsDirectory } : {}),
  });
  try {
    const identity = await loadDeviceIdentity(stateDir, ks);
    try {
      const pending = async (): Promise<number> => {
        const ob = await Outbox.open(outboxOptions(cfg, stateDir, systemClock, silentLogger));
        try {
          return ob.status().destinations[OWNER_ID]?.pending ?? 0;
        } finally {
          await ob.close();
        }
      };
      const r = await applyOwnerRequest({ stateDir, identity, ownerPending: pending }, parseOwnerRequest(request), { force });
      if (!equalBytes(r.ownerBefore, r.ownerAfter)) await afterOwnerChange(stateDir, identity.bound, cfg, systemClock, silentLogger);
      return { ...resultJson(r), via: 'state-dir' };
    } catch (e) {
      return { ...resultJson(e), via: 'state-dir' };
    } finally {
      identity.destroy();
    }
  } finally {
    await ks.close();
  }
}

async function deviceSide(v: Parsed['values'], files: string[]): Promise<number> {
  if (files.length !== 1) throw usage('give one REQUEST.json');
  const cfg = typeof v['config'] === 'string' ? await loadDeviceConfig(v['config']) : validateDeviceConfig({ version: 1, stateDir: v['state-dir'] ?? '' });
  const stateDir = typeof v['state-dir'] === 'string' ? v['state-dir'] : cfg.stateDir;
  const timeout = v['timeout'] === undefined ? 60_000 : Number(v['timeout']);
  if (!Number.isSafeInteger(timeout) || timeout < 1) throw usage('--timeout must be a positive integer (ms)');
  const request = await readJsonFile(files[0]!);
  const parsed = parseOwnerRequest(request); // format errors before anything is touched
  if ((parsed.kind === 'unbind') !== (v['unbind'] === true)) {
    throw usage(parsed.kind === 'unbind' ? `${files[0]} is an unbind record: add --unbind` : `--unbind needs an unbind record, ${files[0]} is a bind request`);
  }
  const force = v['force'] === true;
  const pid = await runningDaemonPid(stateDir);
  const answer = pid !== null
    ? { ...(await submitToDaemon(stateDir, pid, { request, force }, timeout)), via: `daemon ${pid}` }
    : await offline(stateDir, cfg, request, force);
  console.log(JSON.stringify(answer, null, 2));
  if (answer.ok !== true) {
    const msg = String(answer.message);
    console.error(`sealcam bind: refused: ${msg.startsWith(`${String(answer.code)}:`) ? msg : `${String(answer.code)}: ${msg}`}`);
    return 1;
  }
  if (typeof v['out'] === 'string') await writeOut(v['out'], answer.record);
  return 0;
}

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, USAGE);
  const [sub, ...rest] = positionals;
  if (sub === 'request' || sub === 'unbind-request') {
    if (rest.length > 0) throw usage(`unexpected argument '${rest[0]!}'`);
    return ownerSide(values, sub === 'unbind-request');
  }
  if (typeof values['state-dir'] !== 'string' && typeof values['config'] !== 'string') throw usage('--state-dir or --config is required');
  return deviceSide(values, positionals);
}
