/**
 * Child process of crash.test.ts: a receiver on STORE (argv[2]) fed over loopback by a
 * deterministic SimDevice; prints "ACK <seq> <index> <status>" for every ACK the device
 * receives (synchronously, so a SIGKILL loses nothing printed) and "DONE" at the end.
 */
import { writeSync } from 'node:fs';
import { ManualClock } from '../../src/platform/clock.js';
import { Receiver } from '../../src/receiver/receiver.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { captureBytes, DeviceSide, SimDevice } from './sim.js';
import { ownerIdentity, T0 } from './harness.js';

export const CAPTURES = 12;
export const BATCH = 3;

async function main(): Promise<void> {
  const store = process.argv[2]!;
  const d = await new SimDevice('crash', { t0: T0, n: 4 }).init();
  const receiver = new Receiver({ identity: ownerIdentity(), store, clock: new ManualClock(T0 + 1000n), sweepIntervalMs: 0, batchSize: BATCH });
  await receiver.start();
  const [a, b] = loopbackPair();
  const session = receiver.handle(a);
  const side = new DeviceSide(b, d.addr);
  await side.hello();
  const reg = await side.register(d.registration(0));
  if (reg?.type !== 'reg-ack') throw new Error('registration refused');
  for (let k = 1; k <= CAPTURES; k++) {
    const s = await d.capture(BigInt(k), captureBytes(`crash${k}`, 3000 + 1000 * k), { blocks: 4 });
    for (const ack of await side.capture(s)) writeSync(1, `ACK ${ack.seq} ${ack.index} ${ack.status}\n`);
  }
  await b.close();
  await session;
  await receiver.stop();
  writeSync(1, 'DONE\n');
}

main().then(() => process.exit(0), (e: unknown) => {
  writeSync(2, `${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
