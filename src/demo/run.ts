/**
 * `sealcam demo`: the whole signed-capture pipeline in one process, on
 * embedded defaults — a fake camera, the device daemon, an MQTT broker (aedes
 * on a free port, or `--broker`), two storage servers and the owner's
 * receiver on LAN TCP — then an attack probe and a full re-verification of
 * everything that was stored. Returns the facts the report prints.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCaptureCamera } from '../capture/index.js';
import { DeviceDaemon } from '../device/daemon/daemon.js';
import { validateDeviceConfig } from '../device/daemon/config.js';
import { STATE_FILES, statePath } from '../device/daemon/state-dir.js';
import { FileLedgerBackend, Ledger, ledgerVerifyFile, recordFromJson } from '../ledger/index.js';
import { toHex } from '../platform/bytes.js';
import { systemClock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { exportBundles, Receiver, runConnectLoop, type ExportedCapture } from '../receiver/index.js';
import { openDeviceSigner, photoWithCredentials } from '../device/pipeline/c2pa-photo.js';
import { verifyPhoto } from '../verify/photo.js';
import { trustToJson, type ChainTrust } from '../chain/json.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { parseJsonStrict } from '../platform/strict-json.js';
import { verifyCaptureBundle } from '../verify/capture.js';
import { verifyStore, type StorageServer } from '../server/index.js';
import { connectTcp } from '../transport/tcp/tcp-transport.js';
import { startEmbeddedBroker } from './broker.js';
import { closableCamera } from './limit-camera.js';
import { newKey, ownerIdentity, provisionAndBind, startDemoServer } from './setup.js';
import { probeServer } from './tamper.js';
import type { DemoFacts, DemoOptions } from './types.js';

async function until(what: string, timeoutMs: number, cond: () => boolean | Promise<boolean>, onTick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    onTick?.();
    await systemClock.sleep(100);
  }
}

/**
 * Each exported JPEG capture's photo with Content Credentials — the
 * receiver's export wrote it from the device's capture-time manifest; for
 * one without, the device (its daemon stopped, so the keystore is free)
 * signs it now — is verified as a third party would.
 */
async function writePhotos(stateDir: string, exported: readonly ExportedCapture[], trust: ChainTrust): Promise<DemoFacts['photos']> {
  const opened = await openDeviceSigner(stateDir);
  let written = 0;
  let verified = 0;
  let fromReceiver = 0;
  try {
    for (const e of exported) {
      if (!e.bundlePath || !e.imagePath?.endsWith('.jpg')) continue;
      let photo: Uint8Array;
      if (e.photoPath !== null) {
        photo = new Uint8Array(await readFile(e.photoPath)); // the receiver's: the device's capture-time manifest
        fromReceiver++;
      } else {
        const bundle = parseJsonStrict(await readFile(e.bundlePath, 'utf8')) as Record<string, unknown>;
        photo = await photoWithCredentials(new Uint8Array(await readFile(e.imagePath)), bundle, opened.signer);
        await writeFileAtomic(e.imagePath.replace(/\.jpg$/, '.c2pa.jpg'), photo, { mode: 0o644 });
      }
      written++;
      const v = await verifyPhoto(photo, { at: new Date(), trust });
      if (v.valid && v.origin && v.c2paTrusted === true) verified++;
    }
  } finally {
    opened.close();
  }
  return { written, verified, fromReceiver };
}

/** Runs the demo; `progress` gets one-line updates for the terminal. */
export async function runDemo(o: DemoOptions, progress: (line: string) => void): Promise<DemoFacts> {
  await mkdir(o.dir, { recursive: true });
  const logFile = join(o.dir, 'demo.log');
  const log = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: false, mkdir: true })) as unknown as Logger;
  const cleanup: (() => Promise<void>)[] = [];
  const facts: { -readonly [K in keyof DemoFacts]?: DemoFacts[K] } = { dir: o.dir, logFile, captures: o.captures };
  try {
    const broker = o.brokerUrl ? null : await startEmbeddedBroker();
    if (broker) cleanup.push(() => broker.close());
    const brokerUrl = o.brokerUrl ?? broker!.url;
    facts.broker = broker ? `aedes (embedded) ${brokerUrl}` : brokerUrl;
    progress(`broker        ${facts.broker}`);

    const maker = newKey(2);
    const owner = ownerIdentity();
    const stateDir = join(o.dir, 'device');
    const params = { k: o.bits, n: 4, T: 64, delta: o.periodMs };
    progress(`keys          generating the device key and a ${o.bits}-bit forward-secure key cycle (T = 64, Δ = ${o.periodMs} ms)…`);
    const device = await provisionAndBind(stateDir, maker, owner, params, log);
    facts.device = device;
    progress(`device        ${toHex(device.address)} (maker ${toHex(device.manufacturerAddr)}, owner ${toHex(device.ownerAddr)})`);

    const run = Date.now().toString(36);
    const servers: StorageServer[] = [];
    for (const name of ['a', 'b']) {
      const s = await startDemoServer(`demo-${run}-${name}`, join(o.dir, 'servers'), brokerUrl, maker, log.child({ server: name }));
      servers.push(s);
      cleanup.push(() => s.stop());
    }
    progress(`servers       ${servers.map((s) => `${s.serverId} (${toHex(s.address).slice(0, 12)}…)`).join(', ')}`);

    // The owner's receiver keeps a ledger with the device's life-cycle records.
    const ledgerPath = join(o.dir, 'receiver', 'ledger.sclg');
    await mkdir(join(o.dir, 'receiver'), { recursive: true });
    const ledger = await Ledger.open(await FileLedgerBackend.open(ledgerPath, { logger: log }));
    for (const f of [STATE_FILES.factory, STATE_FILES.owner]) {
      await ledger.append(recordFromJson(JSON.parse(await readFile(statePath(stateDir, f), 'utf8')) as unknown));
    }
    const receiver = new Receiver({
      identity: owner, store: join(o.dir, 'receiver', 'store'), trustedManufacturers: [{ suite: maker.suite, publicKey: maker.publicKey }],
      expectedDevice: device.address, batchSize: 8, ledger, logger: log.child({ component: 'receiver' }),
    });
    await receiver.start();
    cleanup.push(() => receiver.stop());
    const periods = new Set<number>();
    const keyIds = new Set<string>();
    receiver.on('capture', (c) => {
      periods.add(c.m);
      keyIds.add(c.keyId);
    });

    const config = validateDeviceConfig({
      version: 1, stateDir,
      camera: { backend: 'fake', width: 640, height: 480, framerate: 12 },
      capture: { mode: 'interval', intervalMs: o.intervalMs },
      keys: { modulusBits: o.bits, blocks: 4, periods: 64, periodMs: o.periodMs },
      tcp: { enabled: true, host: '127.0.0.1', port: 0 },
      mqtt: { enabled: true, url: brokerUrl, servers: servers.map((s) => ({ id: s.serverId, suite: s.suite, publicKey: toHex(s.publicKey) })) },
    });
    const cameras: { close(): void }[] = [];
    const daemon = new DeviceDaemon({
      config, logger: log.child({ component: 'device' }),
      camera: async () => {
        const c = closableCamera(await createCaptureCamera(config.camera, config.capture, { clock: systemClock, logger: log }));
        cameras.push(c);
        return c.camera;
      },
    });
    cleanup.push(() => daemon.stop());
    await daemon.start();
    const url = new URL(daemon.status().delivery.listening!.replace(/^tcp:/, 'http:'));
    const stopRx = new AbortController();
    const loop = runConnectLoop({
      receiver, signal: stopRx.signal, logger: log,
      dial: () => connectTcp({ host: url.hostname, port: Number(url.port) }),
    });
    cleanup.push(async () => {
      stopRx.abort();
      await loop.catch(() => {});
    });

    let last = '';
    await until('the captures', 120_000 + o.captures * 2_000, () => daemon.status().captures.signed >= o.captures, () => {
      const line = `capturing     ${daemon.status().captures.signed}/${o.captures} signed, period ${daemon.status().keys?.period ?? '?'}`;
      if (line !== last) progress((last = line));
    });
    for (const c of cameras) c.close(); // captures in flight are still signed and delivered
    await until('the pipeline to settle', 30_000, async () => {
      const before = daemon.status().captures.signed;
      await systemClock.sleep(300);
      return daemon.status().captures.signed === before;
    });
    progress(`delivering    waiting until both servers and the owner acknowledged every block…`);
    await until('delivery to every destination', 120_000, () => {
      const s = daemon.status();
      return (s.outbox?.records ?? 1) === 0 && receiver.stats().capturesCompleted >= s.captures.signed;
    });
    const ds = daemon.status();
    facts.daemon = ds;
    facts.periods = [...periods].sort((a, b) => a - b);
    facts.keyIds = [...keyIds];
    await receiver.flushSaveHash();
    facts.receiver = receiver.stats();
    await daemon.stop();

    // Export every capture the owner received and verify it as a third party would: against the
    // maker's key (origin) and the storage servers and owner as witnesses (SCHEME.md §7).
    const trust: ChainTrust = {
      manufacturers: [{ suite: maker.suite, publicKey: maker.publicKey }],
      witnesses: [...servers.map((s) => ({ suite: s.suite, publicKey: s.publicKey })), { suite: owner.suite, publicKey: owner.publicKey }],
    };
    const trustFile = join(o.dir, 'trust.json');
    await writeFileAtomic(trustFile, new TextEncoder().encode(JSON.stringify(trustToJson(trust), null, 2) + '\n'), { mode: 0o644 });
    const exported = await exportBundles(join(o.dir, 'receiver', 'store'), join(o.dir, 'bundles'), { identity: owner });
    let bundlesOk = 0;
    for (const e of exported) {
      if (e.bundlePath && verifyCaptureBundle(parseJsonStrict(await readFile(e.bundlePath, 'utf8')), { trust }).origin) bundlesOk++;
    }
    facts.bundles = { exported: exported.length, verified: bundlesOk, dir: join(o.dir, 'bundles'), trustFile };
    facts.photos = await writePhotos(stateDir, exported, trust);

    // Attack probe against the first server: a replay and a tampered block.
    const target = exported.find((e) => e.bundlePath !== null);
    if (target?.bundlePath) {
      facts.probe = await probeServer({
        // Block 1 is the block Algorithm 1 gave the first server.
        brokerUrl, serverId: servers[0]!.serverId, deviceAddr: device.address, bundlePath: target.bundlePath, index: 1,
      });
    }
    facts.servers = [];
    for (const s of servers) {
      const stats = s.stats();
      const dataDir = s.dataDir;
      await s.stop();
      facts.servers.push({ id: s.serverId, stats, verifyStore: await verifyStore(dataDir), dataDir });
    }
    facts.ledger = await ledgerVerifyFile(ledgerPath, { trustedManufacturers: [{ suite: maker.suite, publicKey: maker.publicKey }] });
    facts.ledgerPath = ledgerPath;
    return facts as DemoFacts;
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    (log as unknown as { flush?: () => void }).flush?.();
  }
}
