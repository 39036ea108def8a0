/**
 * {@link PeripheralBackend} over `@stoprocent/bleno` (the Pi as GATT server).
 * Written against the small structural subset of bleno's API typed below, so
 * nothing here needs the package at compile time; it is imported lazily on
 * start() (or injected, e.g. a fake in tests). Supports bleno's classic
 * single-central callbacks `(data, offset, withoutResponse, cb)` and the
 * multi-connection form with a leading `connection` argument.
 * Notifications go through `updateValueCallback` (bleno queues them; the
 * session window bounds that queue, so `send` never reports a full buffer).
 */
import { aint } from '../../../platform/bytes.js';
import { systemClock, type Clock } from '../../../platform/clock.js';
import { bleError } from '../errors.js';
import { CHARACTERISTICS, compactUuid, MIN_ATT_MTU, SERVICE_UUID, type Channel } from '../link/gatt.js';
import { LINUX_BLE_HINT, loadOptional } from './lazy.js';
import type { BleLink, LinkHandler, PeripheralBackend } from '../link/link.js';

type Cb = (...args: never[]) => void;
/** Constructor options of bleno's Characteristic (the part we use). */
export interface BlenoCharacteristicOptions {
  uuid: string;
  properties: string[];
  secure?: string[];
  onReadRequest?: (...args: unknown[]) => void;
  onWriteRequest?: (...args: unknown[]) => void;
  onSubscribe?: (...args: unknown[]) => void;
  onUnsubscribe?: (...args: unknown[]) => void;
}
/** The subset of the `@stoprocent/bleno` module used here. */
export interface BlenoLike {
  readonly state: string;
  readonly PrimaryService: new (o: { uuid: string; characteristics: unknown[] }) => unknown;
  readonly Characteristic: new (o: BlenoCharacteristicOptions) => unknown;
  on(event: string, listener: Cb): unknown;
  removeListener(event: string, listener: Cb): unknown;
  startAdvertising(name: string, serviceUuids: string[], callback: (err?: Error | null) => void): void;
  stopAdvertising(callback?: () => void): void;
  setServices(services: unknown[], callback: (err?: Error | null) => void): void;
  disconnect(): void;
}

/** Options of {@link blenoPeripheral}. */
export interface BlenoPeripheralOptions {
  /** Advertised local name (≤ 26 bytes with one 128-bit service UUID). */
  name: string;
  /** Require an encrypted link (bleno `secure`) for every characteristic (default false; see docs/BLE.md). */
  requireEncryption?: boolean;
  /** Use `withBindings(type, options)` instead of the default export (e.g. an HCI UART controller). */
  bindings?: { type: string; options?: object };
  /** Injected module (tests); default: lazy `import('@stoprocent/bleno')`. */
  bleno?: BlenoLike;
  /** Package to load (default '@stoprocent/bleno'). */
  packageName?: string;
  /** Wait for 'poweredOn' this long (default 10 s). */
  powerOnTimeoutMs?: number;
  clock?: Clock;
}

const R_SUCCESS = 0x00;
const R_INVALID_OFFSET = 0x07;
const R_NOT_LONG = 0x0b;
const R_UNLIKELY = 0x0e;

class BlenoLink implements BleLink {
  private handler: LinkHandler | undefined;
  private early: ((h: LinkHandler) => void)[] = [];
  closed = false;
  constructor(
    readonly remote: string,
    public mtu: number,
    private readonly notify: (v: Buffer) => void,
    private readonly disconnect: () => void,
  ) {}
  setHandler(h: LinkHandler): void {
    this.handler = h;
    for (const f of this.early.splice(0)) f(h);
  }
  emit(f: (h: LinkHandler) => void): void {
    if (this.handler) f(this.handler);
    else if (this.early.length < 256) this.early.push(f);
  }
  send(channel: Channel, value: Uint8Array): boolean {
    if (channel !== 'data') throw new RangeError(`the peripheral sends on data only, not ${channel}`);
    if (value.length > this.mtu - 3) throw new RangeError(`value of ${value.length} bytes exceeds ATT_MTU ${this.mtu} − 3`);
    if (!this.closed) this.notify(Buffer.from(value.buffer, value.byteOffset, value.length));
    return true;
  }
  close(): void {
    if (!this.closed) this.disconnect();
  }
  gone(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.emit((h) => h.closed(reason));
  }
}

/**
 * The device's GATT peripheral on bleno.
 * @throws RangeError for an invalid name.
 */
export function blenoPeripheral(o: BlenoPeripheralOptions): PeripheralBackend {
  if (typeof o.name !== 'string' || Buffer.byteLength(o.name) < 1 || Buffer.byteLength(o.name) > 26) throw new RangeError('name must be 1..26 bytes');
  const clock = o.clock ?? systemClock;
  const links = new Map<unknown, BlenoLink>();
  let bleno: BlenoLike | undefined;
  let lastAddress = 'unknown';
  let mtu = MIN_ATT_MTU;
  const listeners: [string, Cb][] = [];

  return {
    url: `ble://${o.name}`,
    async start(info, onLink) {
      let m = o.bleno;
      if (!m) {
        const mod = await loadOptional<BlenoLike & { withBindings?: (t: string, opts?: object) => BlenoLike }>(o.packageName ?? '@stoprocent/bleno');
        m = o.bindings && mod.withBindings ? mod.withBindings(o.bindings.type, o.bindings.options) : mod;
      }
      const b = m;
      bleno = b;
      const on = (ev: string, f: Cb): void => {
        listeners.push([ev, f]);
        b.on(ev, f);
      };
      // Classic bleno passes no connection: one central at a time, keyed by `undefined`.
      const split = (args: unknown[], firstIsConn: boolean): [unknown, unknown[]] => (firstIsConn ? [args[0], args.slice(1)] : [undefined, args]);
      on('accept', ((addr: string) => void ((lastAddress = addr), (mtu = MIN_ATT_MTU))) as Cb);
      on('mtuChange', ((v: number, conn?: unknown) => {
        mtu = aint(v, 'mtu', MIN_ATT_MTU, 517);
        for (const [k, l] of links) {
          if (conn !== undefined && k !== conn) continue;
          l.mtu = mtu;
          l.emit((h) => h.mtu(mtu));
        }
      }) as Cb);
      on('disconnect', ((_addr: string, conn?: unknown) => {
        for (const [k, l] of [...links]) {
          if (conn !== undefined && k !== conn) continue;
          links.delete(k);
          l.gone(bleError('BLE_LINK_LOST', 'central disconnected'));
        }
      }) as Cb);
      const secure = o.requireEncryption ? (p: string[]): string[] => p : (): string[] => [];
      const chars = CHARACTERISTICS.map((c) => {
        const props = [...c.properties];
        const opts: BlenoCharacteristicOptions = { uuid: compactUuid(c.uuid), properties: props, secure: secure(props) };
        if (c.channel === 'info') {
          opts.onReadRequest = (...a: unknown[]) => {
            const [, [offset, cb]] = split(a, typeof a[0] !== 'number') as [unknown, [number, (r: number, d?: Buffer) => void]];
            const v = info();
            if (offset > v.length) return cb(R_INVALID_OFFSET);
            cb(R_SUCCESS, Buffer.from(v.subarray(offset)));
          };
        } else if (c.channel === 'data') {
          opts.onSubscribe = (...a: unknown[]) => {
            const [conn, [maxValueSize, update]] = split(a, typeof a[0] !== 'number') as [unknown, [number, (d: Buffer) => void]];
            links.get(conn)?.gone(bleError('BLE_LINK_LOST', 'central subscribed again'));
            const l = new BlenoLink(lastAddress, Math.max(MIN_ATT_MTU, maxValueSize + 3, mtu), update, () => b.disconnect());
            links.set(conn, l);
            onLink(l);
          };
          opts.onUnsubscribe = (...a: unknown[]) => {
            const conn = a[0];
            const l = links.get(conn);
            links.delete(conn);
            l?.gone(bleError('BLE_LINK_LOST', 'central unsubscribed'));
          };
        } else {
          const channel = c.channel;
          opts.onWriteRequest = (...a: unknown[]) => {
            const [conn, [data, offset, , cb]] = split(a, !(a[0] instanceof Uint8Array)) as [unknown, [Buffer, number, boolean, (r: number) => void]];
            if (offset !== 0) return cb(R_NOT_LONG);
            const l = links.get(conn);
            if (!l) return cb(R_UNLIKELY); // the central must subscribe to data first
            cb(R_SUCCESS);
            l.emit((h) => h.receive(channel, new Uint8Array(data)));
          };
        }
        return new b.Characteristic(opts);
      });
      if (b.state !== 'poweredOn') {
        await new Promise<void>((resolve, reject) => {
          const t = clock.setTimer(o.powerOnTimeoutMs ?? 10_000, () => reject(bleError('BLE_ADAPTER_STATE', `adapter state is ${b.state}, not poweredOn. ${LINUX_BLE_HINT}`)));
          on('stateChange', ((s: string) => s === 'poweredOn' && (t.cancel(), resolve())) as Cb);
        });
      }
      const service = new b.PrimaryService({ uuid: compactUuid(SERVICE_UUID), characteristics: chars });
      const cbp = (f: (cb: (e?: Error | null) => void) => void, what: string): Promise<void> =>
        new Promise((resolve, reject) => f((e) => (e ? reject(bleError('BLE_ADAPTER_STATE', `${what} failed: ${e.message}. ${LINUX_BLE_HINT}`, e)) : resolve())));
      await cbp((cb) => b.startAdvertising(o.name, [compactUuid(SERVICE_UUID)], cb), 'startAdvertising');
      await cbp((cb) => b.setServices([service], cb), 'setServices');
    },
    async stop() {
      const b = bleno;
      if (!b) return;
      bleno = undefined;
      for (const [ev, f] of listeners.splice(0)) b.removeListener(ev, f);
      for (const l of links.values()) l.gone(bleError('BLE_LINK_LOST', 'peripheral stopped'));
      if (links.size > 0) b.disconnect();
      links.clear();
      await new Promise<void>((resolve) => b.stopAdvertising(() => resolve()));
    },
  };
}
