/**
 * {@link CentralBackend} over `@stoprocent/noble`: the phone-side reference
 * (`sealcam receive --ble` on a Linux laptop). Scans for the sealcam service,
 * connects to the device named by its advertised local name, peripheral id or
 * MAC address, discovers the characteristics, subscribes to `data`, reads
 * `info`. Written against the structural subset typed below and imported
 * lazily (or injected, e.g. a fake in tests). Writes are counted: `send`
 * returns false with 16 writes outstanding and `drain` follows.
 */
import { systemClock, type Clock } from '../../../platform/clock.js';
import { transportError } from '../../errors.js';
import { bleError } from '../errors.js';
import { CHARACTERISTICS, compactUuid, MIN_ATT_MTU, SERVICE_UUID, type Channel } from '../link/gatt.js';
import { LINUX_BLE_HINT, loadOptional } from './lazy.js';
import type { BleLink, CentralBackend, CentralLinkResult, LinkHandler } from '../link/link.js';

type Cb = (...args: never[]) => void;
/** The subset of a noble Characteristic used here. */
export interface NobleCharacteristicLike {
  readonly uuid: string;
  on(event: 'data', listener: (data: Buffer, isNotification: boolean) => void): unknown;
  subscribeAsync(): Promise<void>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  readAsync(): Promise<Buffer>;
}
/** The subset of a noble Peripheral used here. */
export interface NoblePeripheralLike {
  readonly id: string;
  readonly address: string;
  readonly advertisement: { localName?: string };
  readonly mtu: number | null;
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(services: string[], characteristics: string[]): Promise<{ characteristics: NobleCharacteristicLike[] }>;
  on(event: string, listener: Cb): unknown;
}
/** The subset of the `@stoprocent/noble` module used here. */
export interface NobleLike {
  readonly state: string;
  on(event: string, listener: Cb): unknown;
  removeListener(event: string, listener: Cb): unknown;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** Options of {@link nobleCentral}. */
export interface NobleCentralOptions {
  /** Injected module (tests); default: lazy `import('@stoprocent/noble')`. */
  noble?: NobleLike;
  packageName?: string;
  /** Use `withBindings(type, options)`, e.g. `{ type: 'hci', options: { userChannel: true } }`. */
  bindings?: { type: string; options?: object };
  /** Give up scanning (and waiting for poweredOn) after this long (default 15 s). */
  scanTimeoutMs?: number;
  clock?: Clock;
}

const MAX_OUTSTANDING = 16;

class NobleLink implements BleLink {
  private handler: LinkHandler | undefined;
  private early: ((h: LinkHandler) => void)[] = [];
  private outstanding = 0;
  private control: Promise<void> = Promise.resolve();
  private closed = false;
  mtu: number;
  constructor(
    private readonly p: NoblePeripheralLike,
    private readonly chars: Map<Channel, NobleCharacteristicLike>,
  ) {
    this.mtu = Math.max(MIN_ATT_MTU, p.mtu ?? MIN_ATT_MTU);
  }
  get remote(): string {
    return this.p.address || this.p.id;
  }
  setHandler(h: LinkHandler): void {
    this.handler = h;
    for (const f of this.early.splice(0)) f(h);
  }
  emit(f: (h: LinkHandler) => void): void {
    if (this.handler) f(this.handler);
    else if (this.early.length < 1024) this.early.push(f);
  }
  send(channel: Channel, value: Uint8Array): boolean {
    if (channel === 'data' || channel === 'info') throw new RangeError(`the central cannot write ${channel}`);
    if (value.length > this.mtu - 3) throw new RangeError(`value of ${value.length} bytes exceeds ATT_MTU ${this.mtu} − 3`);
    if (this.closed) return true;
    const c = this.chars.get(channel)!;
    const buf = Buffer.from(value);
    this.outstanding += 1;
    const write = (): Promise<void> => c.writeAsync(buf, channel !== 'control');
    void this.settle(channel === 'control' ? (this.control = this.control.then(write)) : write());
    return this.outstanding < MAX_OUTSTANDING;
  }
  private async settle(p: Promise<void>): Promise<void> {
    try {
      await p;
      this.outstanding -= 1;
      if (this.outstanding === MAX_OUTSTANDING - 1) this.emit((h) => h.drain());
    } catch (e) {
      this.gone(bleError('BLE_LINK_LOST', `write failed: ${e instanceof Error ? e.message : String(e)}`, e));
      void this.p.disconnectAsync().catch(() => {});
    }
  }
  close(): void {
    void this.p.disconnectAsync().catch(() => {});
    this.gone(bleError('BLE_LINK_LOST', 'disconnected locally'));
  }
  gone(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.emit((h) => h.closed(reason));
  }
}

/** The central side on noble. Addresses: advertised name, peripheral id or MAC (case-insensitive). */
export function nobleCentral(o: NobleCentralOptions = {}): CentralBackend<string> {
  const clock = o.clock ?? systemClock;
  const timeoutMs = o.scanTimeoutMs ?? 15_000;
  let cached: NobleLike | undefined = o.noble;
  const load = async (): Promise<NobleLike> => {
    if (cached) return cached;
    const mod = await loadOptional<NobleLike & { withBindings?: (t: string, opts?: object) => NobleLike }>(o.packageName ?? '@stoprocent/noble');
    cached = o.bindings && mod.withBindings ? mod.withBindings(o.bindings.type, o.bindings.options) : mod;
    return cached;
  };

  const find = (noble: NobleLike, address: string, signal?: AbortSignal): Promise<NoblePeripheralLike> =>
    new Promise((resolve, reject) => {
      const want = address.toLowerCase();
      const cleanup = (): void => {
        t.cancel();
        noble.removeListener('discover', onDiscover);
        noble.removeListener('stateChange', onState);
        signal?.removeEventListener('abort', onAbort);
        void noble.stopScanningAsync().catch(() => {});
      };
      const fail = (e: Error): void => (cleanup(), reject(e));
      const onDiscover = ((p: NoblePeripheralLike) => {
        const ids = [p.id, p.address, p.advertisement.localName].filter((x): x is string => !!x).map((x) => x.toLowerCase());
        if (!ids.includes(want)) return;
        cleanup();
        resolve(p);
      }) as Cb;
      const scan = (): void => void noble.startScanningAsync([compactUuid(SERVICE_UUID)], false).catch((e: unknown) => fail(bleError('BLE_ADAPTER_STATE', `scan failed: ${String(e)}. ${LINUX_BLE_HINT}`, e)));
      const onState = ((s: string) => s === 'poweredOn' && scan()) as Cb;
      const onAbort = (): void => fail(transportError('CONNECT_FAILED', 'aborted'));
      const t = clock.setTimer(timeoutMs, () =>
        fail(noble.state === 'poweredOn' ? transportError('CONNECT_FAILED', `device ${address} not found`) : bleError('BLE_ADAPTER_STATE', `adapter state is ${noble.state}. ${LINUX_BLE_HINT}`)),
      );
      signal?.addEventListener('abort', onAbort);
      noble.on('discover', onDiscover);
      noble.on('stateChange', onState);
      if (noble.state === 'poweredOn') scan();
    });

  return {
    async connect(address: string, signal?: AbortSignal): Promise<CentralLinkResult> {
      if (signal?.aborted) throw transportError('CONNECT_FAILED', 'aborted');
      const noble = await load();
      const p = await find(noble, address, signal);
      await p.connectAsync();
      try {
        const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([compactUuid(SERVICE_UUID)], CHARACTERISTICS.map((c) => compactUuid(c.uuid)));
        const chars = new Map<Channel, NobleCharacteristicLike>();
        for (const spec of CHARACTERISTICS) {
          const c = characteristics.find((x) => compactUuid(x.uuid) === compactUuid(spec.uuid));
          if (!c) throw bleError('BLE_GATT_MISSING', `characteristic ${spec.channel} (${spec.uuid}) not found on ${address}`);
          chars.set(spec.channel, c);
        }
        const link = new NobleLink(p, chars);
        p.on('disconnect', (() => link.gone(bleError('BLE_LINK_LOST', 'peripheral disconnected'))) as Cb);
        p.on('mtu', ((m: number) => ((link.mtu = Math.max(MIN_ATT_MTU, m)), link.emit((h) => h.mtu(link.mtu)))) as Cb);
        chars.get('data')!.on('data', (d) => link.emit((h) => h.receive('data', new Uint8Array(d))));
        await chars.get('data')!.subscribeAsync();
        const info = new Uint8Array(await chars.get('info')!.readAsync());
        if (signal?.aborted) throw transportError('CONNECT_FAILED', 'aborted');
        return { link, info };
      } catch (e) {
        await p.disconnectAsync().catch(() => {});
        throw e;
      }
    },
  };
}
