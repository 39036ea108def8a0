/**
 * The owner's phone for end-to-end tests: the real src/receiver Receiver
 * (verifies every header and block, reassembles captures, tracks the
 * prevHeaderDigest chain) dialing the daemon's TCP listener with its
 * reconnect loop, recording what arrives.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex } from '../../../src/platform/bytes.js';
import { Receiver } from '../../../src/receiver/receiver.js';
import { runConnectLoop } from '../../../src/receiver/connect-loop.js';
import type { ReceiverIdentity } from '../../../src/receiver/identity.js';
import type { CaptureEvent, DeviceChainEvent, RejectionEvent } from '../../../src/receiver/types.js';
import { connectTcp } from '../../../src/transport/tcp/tcp-transport.js';

/** A running owner receiver. */
export interface OwnerReceiver {
  readonly receiver: Receiver;
  readonly captures: Map<bigint, CaptureEvent>;
  readonly rejected: RejectionEvent[];
  readonly chainEvents: { kind: string; e: DeviceChainEvent }[];
  /** Starts dialing 127.0.0.1:port() (re-read on every dial). */
  connect(port: () => number | null): void;
  /** Stops dialing and closes the session (the receiver keeps its store). */
  disconnect(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a receiver for `owner` on `storeDir`, trusting the dev manufacturer of `stateDir`. */
export async function startOwnerReceiver(storeDir: string, owner: ReceiverIdentity, stateDir: string): Promise<OwnerReceiver> {
  const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: 1 | 2; publicKey: string };
  const receiver = new Receiver({ identity: owner, store: storeDir, trustedManufacturers: [{ suite: man.suite, publicKey: fromHex(man.publicKey) }] });
  await receiver.start();
  const captures = new Map<bigint, CaptureEvent>();
  const rejected: RejectionEvent[] = [];
  const chainEvents: { kind: string; e: DeviceChainEvent }[] = [];
  receiver.on('capture', (c) => captures.set(c.seq, c));
  receiver.on('rejected', (r) => rejected.push(r));
  receiver.on('gap', (e) => chainEvents.push({ kind: 'gap', e }));
  receiver.on('reorder', (e) => chainEvents.push({ kind: 'reorder', e }));
  receiver.on('fork', (e) => chainEvents.push({ kind: 'fork', e }));
  let ac: AbortController | null = null;
  let loop: Promise<void> | null = null;
  const r: OwnerReceiver = {
    receiver, captures, rejected, chainEvents,
    connect(port) {
      ac = new AbortController();
      const signal = ac.signal;
      loop = runConnectLoop({
        receiver, signal, initialBackoffMs: 100, maxBackoffMs: 400,
        dial: (s) => {
          const p = port();
          if (p === null) return Promise.reject(new Error('no port yet'));
          return connectTcp({ host: '127.0.0.1', port: p, signal: s, connectTimeoutMs: 3000 });
        },
      });
    },
    async disconnect() {
      ac?.abort();
      await loop;
      ac = null;
      loop = null;
    },
    async stop() {
      await r.disconnect();
      await receiver.stop();
    },
  };
  return r;
}
