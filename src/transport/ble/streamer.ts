/**
 * Device-side pump that streams captures to one phone connection in the
 * order a {@link PriorityQueue} decides, one frame at a time (each `send`
 * resolves when the frame left the queue for the link, so a request-block
 * overtakes everything queued later), serving request-block commands of a
 * {@link BleConnection}. Lifecycle: start() / stop() (STYLE.md §11).
 */
import { silentLogger, type Logger } from '../../platform/logger.js';
import type { Connection } from '../transport.js';
import type { BleConnection } from './connection.js';
import { PriorityQueue, type CaptureForBle, type PriorityOptions } from './link/priority.js';

/** Streams captures to one connection. */
export class CaptureStreamer {
  readonly queue: PriorityQueue;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly conn: Connection & Partial<Pick<BleConnection, 'setRequestHandler'>>,
    opts: PriorityOptions = {},
    private readonly log: Logger = silentLogger,
  ) {
    this.queue = new PriorityQueue(opts);
  }

  /** Starts pumping (idempotent). */
  start(): void {
    if (this.loop) return;
    this.conn.setRequestHandler?.((seq, index) => {
      if (!this.queue.request(seq, index)) this.log.debug({ seq: String(seq), index }, 'ble: request for a block not held');
      this.kick();
    });
    this.conn.once('close', () => this.kick());
    this.loop = this.run();
  }

  /**
   * Queues a capture for this phone.
   * @throws as {@link PriorityQueue.add}.
   */
  add(capture: CaptureForBle): void {
    this.queue.add(capture);
    this.kick();
  }

  /** Stops pumping; resolves when the loop has ended (the connection stays open). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.conn.setRequestHandler?.(undefined);
    this.kick();
    await this.loop;
  }

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.conn.closed) {
      const f = this.queue.next();
      if (!f) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        await this.conn.send(f);
      } catch (e) {
        this.log.info({ conn: this.conn.id, err: e instanceof Error ? e.message : String(e) }, 'ble: streaming stopped');
        return;
      }
    }
  }
}
