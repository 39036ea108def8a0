/**
 * Fakes of the `@stoprocent/bleno` and `@stoprocent/noble` APIs (the subsets
 * the adapters type), joined in memory: the fake noble central discovers the
 * fake bleno peripheral, and writes/notifications cross over asynchronously
 * (setImmediate, in order), with ATT value sizes checked against the MTU.
 */
import { EventEmitter } from 'node:events';
import type { BlenoCharacteristicOptions, BlenoLike } from '../../../src/transport/ble/adapters/bleno.js';
import type { NobleCharacteristicLike, NobleLike, NoblePeripheralLike } from '../../../src/transport/ble/adapters/noble.js';

type Cb = (...args: never[]) => void;

export class FakeCharacteristic {
  constructor(readonly o: BlenoCharacteristicOptions) {}
}
export class FakePrimaryService {
  constructor(readonly o: { uuid: string; characteristics: unknown[] }) {}
}

export class FakeBleno extends EventEmitter implements BlenoLike {
  state = 'poweredOff';
  readonly PrimaryService = FakePrimaryService;
  readonly Characteristic = FakeCharacteristic;
  services: FakePrimaryService[] = [];
  advertising: { name: string; uuids: string[] } | undefined;
  disconnects = 0;
  central: FakeNoblePeripheral | undefined;

  override on(event: string, listener: Cb): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override removeListener(event: string, listener: Cb): this {
    return super.removeListener(event, listener as (...a: unknown[]) => void);
  }
  powerOn(): void {
    this.state = 'poweredOn';
    this.emit('stateChange', 'poweredOn');
  }
  startAdvertising(name: string, uuids: string[], cb: (e?: Error | null) => void): void {
    this.advertising = { name, uuids };
    cb(null);
  }
  stopAdvertising(cb?: () => void): void {
    this.advertising = undefined;
    cb?.();
  }
  setServices(s: unknown[], cb: (e?: Error | null) => void): void {
    this.services = s as FakePrimaryService[];
    cb(null);
  }
  disconnect(): void {
    this.disconnects += 1;
    this.central?.drop();
  }
  char(uuid: string): BlenoCharacteristicOptions {
    const c = (this.services[0]!.o.characteristics as FakeCharacteristic[]).find((x) => x.o.uuid === uuid);
    if (!c) throw new Error(`no characteristic ${uuid}`);
    return c.o;
  }
}

class FakeNobleChar extends EventEmitter implements NobleCharacteristicLike {
  constructor(
    readonly uuid: string,
    private readonly p: FakeNoblePeripheral,
  ) {
    super();
  }
  private get o(): BlenoCharacteristicOptions {
    return this.p.bleno.char(this.uuid);
  }
  subscribeAsync(): Promise<void> {
    this.o.onSubscribe!(this.p.att - 3, (d: Buffer) => {
      if (d.length > this.p.att - 3) throw new Error(`notification of ${d.length} bytes at MTU ${this.p.att}`);
      const copy = Buffer.from(d);
      setImmediate(() => this.p.connected && this.emit('data', copy, true));
    });
    return Promise.resolve();
  }
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    if (data.length > this.p.att - 3) return Promise.reject(new Error(`write of ${data.length} bytes at MTU ${this.p.att}`));
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        if (!this.p.connected) return reject(new Error('not connected'));
        this.o.onWriteRequest!(Buffer.from(data), 0, withoutResponse, (r: number) => (r === 0 ? resolve() : reject(new Error(`ATT error ${r}`))));
      }),
    );
  }
  readAsync(): Promise<Buffer> {
    return new Promise((resolve, reject) => this.o.onReadRequest!(0, (r: number, d?: Buffer) => (r === 0 && d ? resolve(d) : reject(new Error(`ATT error ${r}`)))));
  }
}

export class FakeNoblePeripheral extends EventEmitter implements NoblePeripheralLike {
  readonly id = 'fakeperipheralid';
  readonly address = '11:22:33:44:55:66';
  mtu: number | null = null;
  connected = false;
  /** Characteristic UUIDs hidden from discovery (to test BLE_GATT_MISSING). */
  hide = new Set<string>();
  constructor(
    readonly bleno: FakeBleno,
    private readonly negotiatedMtu: number,
  ) {
    super();
  }
  get att(): number {
    return this.mtu ?? 23;
  }
  get advertisement(): { localName?: string } {
    return { localName: this.bleno.advertising?.name };
  }
  override on(event: string, listener: Cb): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  connectAsync(): Promise<void> {
    this.connected = true;
    this.mtu = this.negotiatedMtu;
    this.bleno.central = this;
    this.bleno.emit('accept', 'aa:bb:cc:dd:ee:ff');
    this.bleno.emit('mtuChange', this.negotiatedMtu);
    return Promise.resolve();
  }
  disconnectAsync(): Promise<void> {
    this.drop();
    return Promise.resolve();
  }
  drop(): void {
    if (!this.connected) return;
    this.connected = false;
    setImmediate(() => {
      this.bleno.emit('disconnect', 'aa:bb:cc:dd:ee:ff');
      this.emit('disconnect', 0x13);
    });
  }
  discoverSomeServicesAndCharacteristicsAsync(_s: string[], chars: string[]): Promise<{ characteristics: NobleCharacteristicLike[] }> {
    return Promise.resolve({ characteristics: chars.filter((u) => !this.hide.has(u)).map((u) => new FakeNobleChar(u, this)) });
  }
}

export class FakeNoble extends EventEmitter implements NobleLike {
  state = 'poweredOn';
  scans = 0;
  readonly peripheral: FakeNoblePeripheral;
  constructor(
    readonly bleno: FakeBleno,
    mtu = 185,
  ) {
    super();
    this.peripheral = new FakeNoblePeripheral(bleno, mtu);
  }
  override on(event: string, listener: Cb): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override removeListener(event: string, listener: Cb): this {
    return super.removeListener(event, listener as (...a: unknown[]) => void);
  }
  startScanningAsync(uuids?: string[]): Promise<void> {
    this.scans += 1;
    setImmediate(() => {
      if (this.bleno.advertising && uuids?.every((u) => this.bleno.advertising!.uuids.includes(u))) this.emit('discover', this.peripheral);
    });
    return Promise.resolve();
  }
  stopScanningAsync(): Promise<void> {
    return Promise.resolve();
  }
}
