/**
 * `sealcam receive`: the owner's receiver as a command (docs/RECEIVER.md).
 *
 *   sealcam receive --connect HOST:PORT [--tls-pin SHA256HEX] --store DIR --key FILE
 *   sealcam receive --ble [NAME_OR_MAC] --store DIR --key FILE
 *                   [--manufacturer-key [SUITE:]HEX ...] [--device ADDR] [--id ID] [--batch 16]
 *                   [--count N] [--export DIR] [--ledger FILE]
 *   sealcam receive --new-key FILE [--suite 1|2]
 *
 * Connects to the device's LAN listener (reconnecting with backoff), verifies
 * and stores every capture, prints one JSON line per verified capture on
 * stdout and chain/rejection notices on stderr; on exit (after --count
 * captures, SIGINT or SIGTERM) it closes the partial SaveHash batch, exports
 * bundles when --export is given and prints a summary line. Exit 0 on a clean
 * stop, 1 on a fatal error, 2 on usage errors.
 *
 * Links are "dialers" (see DIALERS below): `--connect` (LAN TCP/TLS) and `--ble`
 * (BLE central over @stoprocent/noble, imported only then; the receiver key is
 * the owner key that answers the device's challenge). Over BLE the device sends
 * each capture's provenance first (stripped blocks + PREVIEW, printed as a
 * `preview` line on stderr), then the data.
 */
import { ecdsaCheckPublicKey, type Suite } from '../../crypto/ecdsa.js';
import { FileLedgerBackend, Ledger, type TrustedKey } from '../../ledger/index.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import { isSealcamError } from '../../platform/errors.js';
import { holdProcessOpen } from '../../platform/service-process.js';
import { runConnectLoop } from '../../receiver/connect-loop.js';
import { exportBundles } from '../../receiver/export.js';
import { createKeyFile, readKeyFile } from '../../receiver/identity.js';
import { Receiver } from '../../receiver/receiver.js';
import type { CaptureEvent } from '../../receiver/types.js';
import type { ReceiverIdentity } from '../../receiver/identity.js';
import { BleTransport, loadOptional, nobleCentral, ownerSignerFromSecret, type CentralBackend } from '../../transport/ble/index.js';
import { connectTcp } from '../../transport/tcp/tcp-transport.js';
import type { Connection } from '../../transport/transport.js';
import { parse, type Parsed, HelpRequested } from '../args.js';

/** The device's default advertised name (config `ble.name`). */
export const DEFAULT_BLE_NAME = 'sealcam';

const USAGE = `usage: sealcam receive --connect HOST:PORT [--tls-pin SHA256HEX] --store DIR --key FILE [options]
       sealcam receive --ble [NAME_OR_MAC] --store DIR --key FILE [options]
       sealcam receive --new-key FILE [--suite 1|2]

  --connect HOST:PORT        the device's LAN listener (default port 7447)
  --tls-pin SHA256HEX        use TLS and accept only this certificate fingerprint (repeatable)
  --ble [NAME_OR_MAC]        BLE central (needs @stoprocent/noble): the device's advertised name
                             (default ${DEFAULT_BLE_NAME}), peripheral id or MAC; --key must be the owner key
  --store DIR                receiver store (created if missing)
  --key FILE                 receiver key file {"suite", "secret"} (mode 0600; see --new-key)
  --manufacturer-key KEY     trusted manufacturer public key, [1:|2:]HEX of 65 bytes (repeatable)
  --device ADDR              accept only this device address (40 hex digits)
  --id ID                    destination id announced in HELLO (default 'owner')
  --batch N                  SaveHash batch size ω (default 16)
  --count N                  exit 0 after N verified captures
  --export DIR               export bundles and images of the store to DIR on exit
  --ledger FILE              append signed save-hash records to this ledger file
  --new-key FILE             create a receiver key file and print its public key and address`;

/** Where the command writes (injected by tests). */
export interface ReceiveIo {
  out(line: string): void;
  err(line: string): void;
  /** Stops the command like SIGINT. */
  readonly signal?: AbortSignal;
  /** BLE radio of `--ble` (tests: a simulated radio's central); default: @stoprocent/noble. */
  readonly bleCentral?: CentralBackend<string>;
}

/** A link: `check` runs once before the first dial (fatal when it throws), `dial` for every (re)connection. */
interface Dialer {
  check?(): Promise<void>;
  dial(signal: AbortSignal, identity: ReceiverIdentity): Promise<Connection>;
}

/** Link dialers by option. */
const DIALERS: Record<string, (v: Parsed['values'], io: ReceiveIo) => Dialer | null> = {
  connect(v) {
    const target = v['connect'];
    if (typeof target !== 'string') return null;
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(target) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(target);
    if (m === null || (m[2] !== undefined && Number(m[2]) > 65535)) throw usage(`bad --connect ${target}`);
    const pins = (v['tls-pin'] as string[] | undefined) ?? [];
    const port = m[2] === undefined ? undefined : Number(m[2]);
    return { dial: (signal) => connectTcp({ host: m[1]!, ...(port !== undefined ? { port } : {}), signal, ...(pins.length > 0 ? { tls: { serverPins: pins } } : {}) }) };
  },
  ble(v, io) {
    const name = v['ble'];
    if (typeof name !== 'string') return null;
    if (name === '' || name.length > 64) throw usage('--ble takes the advertised name, peripheral id or MAC of the device (1..64 characters)');
    const expectDevice = typeof v['device'] === 'string' && /^[0-9a-f]{40}$/.test(v['device']) ? fromHex(v['device']) : undefined;
    let ble: BleTransport<string> | null = null;
    return {
      // a missing @stoprocent/noble is fatal (BLE_ADAPTER_MISSING with the fix), not a link failure to retry
      check: async () => {
        if (!io.bleCentral) await loadOptional('@stoprocent/noble');
      },
      dial: (signal, identity) => {
        ble ??= new BleTransport<string>({
          central: { backend: io.bleCentral ?? nobleCentral(), owner: ownerSignerFromSecret(identity.suite, identity.secret), ...(expectDevice ? { expectDevice } : {}) },
        });
        return ble.connect(name, { signal });
      },
    };
  },
};

/** `--ble` may come without a value: it then means the default advertised name. */
function withBleDefault(argv: string[]): string[] {
  return argv.map((a, k) => (a === '--ble' && (k + 1 >= argv.length || argv[k + 1]!.startsWith('-')) ? `--ble=${DEFAULT_BLE_NAME}` : a));
}

class UsageError extends Error {}
function usage(msg: string): UsageError {
  return new UsageError(`${msg}\n${USAGE}`);
}

/** Parses a manufacturer key: `[1:|2:]HEX` (suite inferred when unambiguous). */
export function parseManufacturerKey(s: string): TrustedKey {
  const m = /^(?:([12]):)?((?:04)[0-9a-fA-F]{128})$/.exec(s);
  if (m === null) throw usage(`--manufacturer-key must be [1:|2:] and 65 bytes of hex starting with 04: ${s}`);
  const publicKey = fromHex(m[2]!.toLowerCase());
  const suites = (m[1] !== undefined ? [Number(m[1]) as Suite] : [1, 2] as Suite[]).filter((x) => ecdsaCheckPublicKey(x, publicKey) === null);
  if (suites.length !== 1) throw usage(`--manufacturer-key ${s.slice(0, 12)}…: ${suites.length === 0 ? 'not a valid key' : 'valid on both curves; prefix 1: or 2:'}`);
  return { suite: suites[0]!, publicKey };
}

const num = (x: bigint): number | string => (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString());

/** One JSON line per verified capture. */
export function captureLine(e: CaptureEvent): string {
  return JSON.stringify({
    event: 'capture', device: e.deviceAddr, seq: num(e.seq), ts: num(e.ts), period: e.m, keyId: e.keyId.slice(0, 16),
    bytes: num(e.captureLen), blocks: e.c, contentType: e.contentType, headerDigest: e.headerDigest, verdict: e.verdict,
  });
}

function posInt(v: unknown, name: string, dflt: number, max = 2 ** 31 - 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !/^[1-9]\d{0,9}$/.test(v) || Number(v) > max) throw usage(`--${name} must be a positive integer ≤ ${max}`);
  return Number(v);
}

async function newKey(v: Parsed['values'], io: ReceiveIo): Promise<number> {
  const suite = posInt(v['suite'], 'suite', 1, 2) as Suite;
  const id = await createKeyFile(v['new-key'] as string, suite);
  io.out(JSON.stringify({ event: 'key', file: v['new-key'], suite, publicKey: toHex(id.publicKey), address: toHex(id.addr) }));
  return 0;
}

/** Runs the command with injected output and stop signal. */
export async function runReceive(argv: string[], io: ReceiveIo): Promise<number> {
  let v: Parsed['values'];
  try {
    v = parse(withBleDefault(argv), {
      connect: { type: 'string' }, ble: { type: 'string' }, 'tls-pin': { type: 'string', multiple: true }, store: { type: 'string' }, key: { type: 'string' },
      'manufacturer-key': { type: 'string', multiple: true }, device: { type: 'string' }, id: { type: 'string' }, batch: { type: 'string' },
      count: { type: 'string' }, export: { type: 'string' }, ledger: { type: 'string' },
      'new-key': { type: 'string' }, suite: { type: 'string' },
    }, USAGE, false).values;
    if (typeof v['new-key'] === 'string') return await newKey(v, io);
    const dialers = Object.values(DIALERS).map((f) => f(v, io)).filter((d): d is Dialer => d !== null);
    if (dialers.length !== 1) throw usage('give exactly one link (--connect HOST:PORT or --ble [NAME_OR_MAC])');
    if (typeof v['store'] !== 'string' || typeof v['key'] !== 'string') throw usage('--store and --key are required');
    const device = v['device'];
    if (device !== undefined && (typeof device !== 'string' || !/^[0-9a-f]{40}$/.test(device))) throw usage('--device must be 40 lowercase hex digits');
    return await receive(v, dialers[0]!, io);
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.out(e.usage);
      return 0;
    }
    if (e instanceof UsageError || isSealcamError(e, 'CLI_USAGE')) {
      io.err(e.message);
      return 2;
    }
    if (isSealcamError(e)) {
      io.err(`sealcam receive: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function receive(v: Parsed['values'], dial: Dialer, io: ReceiveIo): Promise<number> {
  const trusted = ((v['manufacturer-key'] as string[] | undefined) ?? []).map(parseManufacturerKey);
  const count = v['count'] === undefined ? null : posInt(v['count'], 'count', 0);
  const batchSize = posInt(v['batch'], 'batch', 16, 65536);
  const identity = await readKeyFile(v['key'] as string, typeof v['id'] === 'string' ? v['id'] : 'owner');
  const ledger = typeof v['ledger'] === 'string' ? await Ledger.open(await FileLedgerBackend.open(v['ledger'])) : null;
  const receiver = new Receiver({
    identity, store: v['store'] as string, trustedManufacturers: trusted, batchSize, ledger,
    ...(typeof v['device'] === 'string' ? { expectedDevice: fromHex(v['device']) } : {}),
  });
  const stop = new AbortController();
  io.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (io.signal?.aborted === true) stop.abort();
  let captures = 0;
  receiver.on('capture', (e) => {
    captures++;
    io.out(captureLine(e));
    if (count !== null && captures >= count) stop.abort();
  });
  const note = (event: string) => (e: object): void => io.err(JSON.stringify({ event, ...e }, (_k, x: unknown) => (typeof x === 'bigint' ? num(x) : x)));
  for (const ev of ['gap', 'gap-resolved', 'reorder', 'fork', 'evicted', 'invalid-capture'] as const) receiver.on(ev, note(ev));
  receiver.on('rejected', note('rejected'));
  receiver.on('ledger-error', (e) => io.err(JSON.stringify({ event: 'ledger-error', device: e.deviceAddr, k: num(e.k), error: (e.error as Error).message })));
  receiver.on('preview', (e) => io.err(JSON.stringify({
    event: 'preview', device: e.deviceAddr, seq: num(e.seq), blocks: e.c, headerDigest: e.headerDigest, verdict: e.verdict,
    ...(e.reason !== undefined ? { reason: e.reason } : {}), ...(e.thumbnail ? { thumbnail: { width: e.thumbnail.width, height: e.thumbnail.height, signed: e.thumbnail.signed } } : {}),
  })));
  await dial.check?.();
  await receiver.start();
  io.err(JSON.stringify({ event: 'ready', address: toHex(identity.addr), id: identity.id, store: v['store'] }));
  await runConnectLoop({
    receiver, dial: (signal) => dial.dial(signal, identity), signal: stop.signal,
    onEvent: (e) => io.err(JSON.stringify(e.type === 'dial-failed' ? e : { type: e.type, frames: e.result.frames, blocks: e.result.blocks, error: e.result.error, deviceError: e.result.deviceError, retryInMs: e.retryInMs })),
  });
  await receiver.flushSaveHash();
  await receiver.stop();
  let exported = 0;
  let photos = 0;
  let plainJpegs = 0;
  if (typeof v['export'] === 'string') {
    for (const r of await exportBundles(v['store'] as string, v['export'], { identity })) {
      if (r.valid) exported++;
      else io.err(JSON.stringify({ event: 'export-failed', device: r.deviceAddr, seq: num(r.seq), reason: r.reason }));
      if (r.photoPath !== null) photos++;
      else if (r.imagePath?.endsWith('.jpg')) plainJpegs++;
    }
    // Photos with Content Credentials come from the devices' capture-time manifests (docs/C2PA.md "Credentials through the receiver").
    if (plainJpegs > 0) io.err(JSON.stringify({ event: 'export-note', c2pa: false, jpegs: plainJpegs, note: 'JPEGs without Content Credentials: their device sent no capture-time C2PA manifest (suite 1, no certificate, or an older daemon)' }));
  }
  const s = receiver.stats();
  io.out(JSON.stringify({
    event: 'summary', captures, stored: s.blocksStored, duplicates: s.blocksDuplicate, rejections: s.rejections, gaps: s.gaps,
    reorders: s.reorders, evicted: s.capturesEvicted, batches: s.batches, ...(typeof v['export'] === 'string' ? { exported, photos } : {}), c2pa: s.c2pa,
  }));
  return 0;
}

/** CLI entry: `sealcam receive …`. SIGINT/SIGTERM stop cleanly. */
export async function run(argv: string[]): Promise<number> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const release = holdProcessOpen(); // reconnecting until told to stop, even with nothing to wait on but a backoff
  try {
    return await runReceive(argv, { out: (l) => console.log(l), err: (l) => console.error(l), signal: ac.signal });
  } finally {
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
