/** Receiver test harness: a receiver on a temp store, loopback sessions with a DeviceSide, recorded events. */
import { ManualClock } from '../../src/platform/clock.js';
import { Receiver } from '../../src/receiver/receiver.js';
import { makeIdentity, type ReceiverIdentity } from '../../src/receiver/identity.js';
import type { ReceiverEvents, ReceiverOptions } from '../../src/receiver/types.js';
import type { SessionResult } from '../../src/peer/session.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { DeviceSide, secretOf, type SimDevice } from './sim.js';
import { tempDir } from '../helpers/temp.js';

export const T0 = 1_767_225_600_000n;

/** Every event a receiver emitted, by name. */
export type Recorded = { [K in keyof ReceiverEvents]: ReceiverEvents[K][0][] };

/** Records every event of a receiver. */
export function record(r: Receiver): Recorded {
  const names: (keyof ReceiverEvents)[] = ['capture', 'registration', 'rejected', 'gap', 'gap-resolved', 'reorder', 'fork', 'evicted', 'invalid-capture', 'batch', 'ledger-error', 'session'];
  const rec = Object.fromEntries(names.map((n) => [n, []])) as unknown as Recorded;
  for (const n of names) (r as unknown as { on(e: string, f: (x: unknown) => void): void }).on(n, (x) => (rec[n] as unknown[]).push(x));
  return rec;
}

/** The test receiver identity ('owner'). */
export function ownerIdentity(label = 'owner', suite: 1 | 2 = 1): ReceiverIdentity {
  return makeIdentity(suite, secretOf(label), 'owner');
}

/** A started receiver over a temp (or given) store with a manual clock at T0 + 1000. */
export async function startReceiver(over: Partial<ReceiverOptions> = {}, dir?: string): Promise<{
  receiver: Receiver; events: Recorded; dir: string; identity: ReceiverIdentity; clock: ManualClock;
}> {
  const d = dir ?? (await tempDir('sealcam-rcv-'));
  const clock = (over.clock as ManualClock | undefined) ?? new ManualClock(T0 + 1000n);
  const identity = over.identity ?? ownerIdentity();
  const receiver = new Receiver({ identity, store: d, clock, sweepIntervalMs: 0, ...over });
  const events = record(receiver);
  await receiver.start();
  return { receiver, events, dir: d, identity, clock };
}

/** Opens a loopback session to `receiver` as `dev` and exchanges HELLO. */
export async function connect(receiver: Receiver, dev: SimDevice): Promise<{ side: DeviceSide; session: Promise<SessionResult> }> {
  const [a, b] = loopbackPair();
  const session = receiver.handle(a);
  const side = new DeviceSide(b, dev.addr);
  const hello = await side.hello();
  if (hello?.type !== 'hello') throw new Error('no receiver HELLO');
  return { side, session };
}

export { waitFor } from '../helpers/wait.js';

