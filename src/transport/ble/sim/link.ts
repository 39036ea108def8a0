/**
 * A simulated BLE radio for tests, the bench and the in-process demo. It
 * enforces what matters to the protocol: values of at most ATT_MTU − 3 bytes
 * (MTU = min(central request, peripheral cap), 23 until an optional delayed
 * MTU exchange), pacing (at most N values per direction per connection event,
 * one event per connection interval), a small controller buffer with `drain`,
 * and optional faults: random loss of the whole link, dropped notifications,
 * and reordering of the central's acknowledgements (delayed 1–3 events).
 * Time comes from the injected Clock (use {@link VirtualClock} to run fast).
 */
import { aint } from '../../../platform/bytes.js';
import type { Clock } from '../../../platform/clock.js';
import { SeededRng, type Rng } from '../../../platform/rng.js';
import { transportError } from '../../errors.js';
import { bleError } from '../errors.js';
import { BLENO_MAX_ATT_MTU, MIN_ATT_MTU, PREFERRED_ATT_MTU, type Channel } from '../link/gatt.js';
import type { BleLink, CentralBackend, CentralLinkResult, LinkHandler, PeripheralBackend } from '../link/link.js';

/** Options of a {@link SimRadio}. */
export interface SimRadioOptions {
  clock: Clock;
  /** Randomness for faults (default: seeded, reproducible). */
  rng?: Rng;
  /** ATT MTU the central requests (default 247); the peripheral caps it (default 256, like bleno). */
  mtu?: number;
  peripheralMaxMtu?: number;
  /** Start at MTU 23 and switch to the negotiated MTU after this delay (default 0: negotiated at once). */
  mtuExchangeDelayMs?: number;
  /** Connection interval in ms (default 7.5) and values per direction per event (default 6). */
  connIntervalMs?: number;
  packetsPerInterval?: number;
  /** Values a side may queue before `send` returns false (default 2 × packetsPerInterval). */
  txBufferPackets?: number;
  /** Time from connect() to a usable link (default 30 ms). */
  connectDelayMs?: number;
  /** Probability that the link is lost at a connection event (default 0). */
  linkLossProbability?: number;
  /** Probability that a notification is silently dropped (default 0). */
  notifyDropProbability?: number;
  /** Probability that an `ack` write is delayed by 1–3 events, reordering acks (default 0). */
  ackReorderProbability?: number;
}

/** Counters of a radio. */
export interface SimRadioStats {
  links: number;
  linkLosses: number;
  notifications: number;
  notifyBytes: number;
  writes: number;
  droppedNotifications: number;
  reorderedAcks: number;
}

class SimEnd implements BleLink {
  handler: LinkHandler | undefined;
  early: (() => void)[] = [];
  queue: [Channel, Uint8Array][] = [];
  mtu: number;
  constructor(
    readonly pair: SimPair,
    readonly side: 'device' | 'central',
    readonly remote: string,
  ) {
    this.mtu = pair.exchanged ? pair.mtu : MIN_ATT_MTU;
  }
  setHandler(h: LinkHandler): void {
    this.handler = h;
    for (const f of this.early.splice(0)) f();
  }
  call(f: (h: LinkHandler) => void): void {
    if (this.handler) f(this.handler);
    else if (this.early.length < 1024) this.early.push(() => f(this.handler!));
  }
  send(channel: Channel, value: Uint8Array): boolean {
    const ok = this.side === 'device' ? channel === 'data' : channel === 'control' || channel === 'ack' || channel === 'uplink';
    if (!ok) throw new RangeError(`${this.side} cannot send on ${channel}`);
    if (value.length > this.mtu - 3) throw new RangeError(`value of ${value.length} bytes exceeds ATT_MTU ${this.mtu} − 3`);
    if (this.pair.closed) return true;
    this.queue.push([channel, Uint8Array.from(value)]);
    this.pair.wake();
    return this.queue.length < this.pair.radio.txBuffer;
  }
  close(): void {
    this.pair.close(undefined);
  }
}

class SimPair {
  readonly device: SimEnd;
  readonly central: SimEnd;
  closed = false;
  exchanged: boolean;
  private timer: { cancel(): void } | undefined;
  private event = 0;
  private readonly start: number;
  private delayed: { due: number; value: Uint8Array }[] = [];

  constructor(
    readonly radio: SimRadio,
    readonly mtu: number,
    readonly periph: SimPeripheral,
  ) {
    this.exchanged = radio.mtuDelay === 0;
    this.start = radio.nowMs();
    this.device = new SimEnd(this, 'device', 'sim-central');
    this.central = new SimEnd(this, 'central', `sim:${periph.name}`);
    if (!this.exchanged) {
      radio.clock.setTimer(radio.mtuDelay, () => {
        if (this.closed) return;
        this.exchanged = true;
        for (const e of [this.device, this.central]) {
          e.mtu = mtu;
          e.call((h) => h.mtu(mtu));
        }
      });
    }
  }

  wake(): void {
    if (this.timer || this.closed) return;
    const r = this.radio;
    const now = r.nowMs();
    this.event = Math.max(this.event + 1, Math.ceil((now - this.start) / r.interval));
    this.timer = r.clock.setTimer(this.start + this.event * r.interval - now, () => this.onEvent());
  }

  private onEvent(): void {
    this.timer = undefined;
    if (this.closed) return;
    const r = this.radio;
    if (r.chance(r.o.linkLossProbability)) {
      r.stats.linkLosses += 1;
      return this.close(bleError('BLE_LINK_LOST', 'simulated link loss'));
    }
    const up = this.central.queue.splice(0, r.perEvent);
    const down = this.device.queue.splice(0, r.perEvent);
    const due = this.delayed.filter((d) => d.due <= this.event);
    this.delayed = this.delayed.filter((d) => d.due > this.event);
    for (const d of due) this.device.call((h) => h.receive('ack', d.value));
    for (const [ch, v] of up) {
      if (this.closed) return;
      r.stats.writes += 1;
      if (ch === 'ack' && r.chance(r.o.ackReorderProbability)) {
        r.stats.reorderedAcks += 1;
        this.delayed.push({ due: this.event + 1 + Math.floor(r.random() * 3), value: v });
      } else this.device.call((h) => h.receive(ch, v));
    }
    for (const [ch, v] of down) {
      if (this.closed) return;
      if (r.chance(r.o.notifyDropProbability)) {
        r.stats.droppedNotifications += 1;
        continue;
      }
      r.stats.notifications += 1;
      r.stats.notifyBytes += v.length;
      this.central.call((h) => h.receive(ch, v));
    }
    for (const [e, sent] of [[this.central, up.length], [this.device, down.length]] as const) {
      if (sent > 0 && e.queue.length < r.txBuffer && e.queue.length + sent >= r.txBuffer) e.call((h) => h.drain());
    }
    if (this.central.queue.length || this.device.queue.length || this.delayed.length) this.wake();
  }

  close(reason: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.periph.pairs.delete(this);
    this.radio.clock.setTimer(0, () => {
      this.device.call((h) => h.closed(reason));
      this.central.call((h) => h.closed(reason));
    });
  }
}

class SimPeripheral implements PeripheralBackend {
  readonly url: string;
  readonly pairs = new Set<SimPair>();
  info: (() => Uint8Array) | undefined;
  onLink: ((l: BleLink) => void) | undefined;
  constructor(
    private readonly radio: SimRadio,
    readonly name: string,
  ) {
    this.url = `ble://sim/${name}`;
  }
  start(info: () => Uint8Array, onLink: (l: BleLink) => void): Promise<void> {
    if (this.radio.advertising.has(this.name)) return Promise.reject(bleError('BLE_ADAPTER_STATE', `${this.name} already advertising`));
    this.info = info;
    this.onLink = onLink;
    this.radio.advertising.set(this.name, this);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    if (this.radio.advertising.get(this.name) === this) this.radio.advertising.delete(this.name);
    for (const p of [...this.pairs]) p.close(bleError('BLE_LINK_LOST', 'peripheral stopped'));
    return Promise.resolve();
  }
}

/** A simulated radio shared by simulated peripherals and centrals. */
export class SimRadio {
  readonly stats: SimRadioStats = { links: 0, linkLosses: 0, notifications: 0, notifyBytes: 0, writes: 0, droppedNotifications: 0, reorderedAcks: 0 };
  /** @internal */ readonly advertising = new Map<string, SimPeripheral>();
  /** @internal */ readonly clock: Clock;
  /** @internal */ readonly interval: number;
  /** @internal */ readonly perEvent: number;
  /** @internal */ readonly txBuffer: number;
  /** @internal */ readonly mtuDelay: number;
  private readonly rng: Rng;
  private readonly mtu: number;

  /** @throws RangeError for invalid options. */
  constructor(readonly o: SimRadioOptions) {
    this.clock = o.clock;
    this.rng = o.rng ?? new SeededRng('sealcam/ble-sim');
    const cap = aint(o.peripheralMaxMtu ?? BLENO_MAX_ATT_MTU, 'peripheralMaxMtu', MIN_ATT_MTU, 517);
    this.mtu = Math.min(cap, aint(o.mtu ?? PREFERRED_ATT_MTU, 'mtu', MIN_ATT_MTU, 517));
    this.interval = o.connIntervalMs ?? 7.5;
    if (!(this.interval >= 1)) throw new RangeError('connIntervalMs must be >= 1');
    this.perEvent = aint(o.packetsPerInterval ?? 6, 'packetsPerInterval', 1, 1000);
    this.txBuffer = aint(o.txBufferPackets ?? 2 * this.perEvent, 'txBufferPackets', 1, 1 << 16);
    this.mtuDelay = o.mtuExchangeDelayMs ?? 0;
  }

  /** The device side advertising as `name`. */
  peripheral(name: string): PeripheralBackend {
    return new SimPeripheral(this, name);
  }

  /** The central side; addresses are advertised names. */
  central(): CentralBackend<string> {
    return {
      connect: async (name: string, signal?: AbortSignal): Promise<CentralLinkResult> => {
        await this.clock.sleep(this.o.connectDelayMs ?? 30);
        const p = this.advertising.get(name);
        if (signal?.aborted) throw transportError('CONNECT_FAILED', 'aborted');
        if (!p?.onLink || !p.info) throw transportError('CONNECT_FAILED', `no simulated peripheral ${name}`);
        const pair = new SimPair(this, this.mtu, p);
        p.pairs.add(pair);
        this.stats.links += 1;
        p.onLink(pair.device);
        return { link: pair.central, info: p.info() };
      },
    };
  }

  /** Disconnects every link now (a test's "walk out of range"). */
  dropAll(): void {
    for (const p of this.advertising.values()) for (const pair of [...p.pairs]) pair.close(bleError('BLE_LINK_LOST', 'dropped by test'));
  }

  /** @internal */ nowMs(): number {
    const c = this.clock as { ms?: number };
    return typeof c.ms === 'number' ? c.ms : Number(this.clock.now());
  }

  /** @internal */ random(): number {
    const b = this.rng.bytes(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
  }

  /** @internal */ chance(p: number | undefined): boolean {
    return !!p && this.random() < p;
  }
}
