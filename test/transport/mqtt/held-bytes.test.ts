// One held-bytes budget for every device (issue 9: per-session reorder buffers had no global
// bound — 120 sessions took a server from 100 MB to 1 GB). 120 devices, each its own MQTT client,
// publish 4 blocks of 16 KiB at once to a server whose handler holds everything it is given:
// exactly as many publishes as fit in 1 MiB are held, every other one is refused and counted,
// whatever order they arrive in; letting the held ones go frees the budget for the next ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MessageKind } from '../../../src/transport/messages.js';
import { MqttTransport, type IncomingFrame } from '../../../src/transport/mqtt/index.js';
import type { Connection } from '../../../src/transport/transport.js';
import { waitFor } from '../../device/helpers/env.js';
import { startAedes, uniq } from './brokers.js';

const DEVICES = 120;
const PER_DEVICE = 4;
const LEN = 16 * 1024;
const BUDGET = 1024 * 1024;

let broker: Awaited<ReturnType<typeof startAedes>>;
const transports: MqttTransport[] = [];
before(async () => {
  broker = await startAedes();
});
after(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await broker.close();
});

test(`${DEVICES} devices at once: held bytes stay within the one budget, every publish beyond it is refused and counted`, async () => {
  const prefix = `${uniq()}/v1`;
  const srv = new MqttTransport({ url: broker.url, clientId: uniq(), topicPrefix: prefix, serverId: 's', maxFrameBytes: 64 * 1024, maxHeldBytes: BUDGET });
  transports.push(srv);
  const held: IncomingFrame[] = [];
  const busy: IncomingFrame[] = [];
  let release: (() => void)[] = [];
  await srv.serve({
    onFrame: (m) => new Promise<void>((resolve) => {
      held.push(m);
      release.push(resolve);
    }),
    onBusy: (m) => void busy.push(m),
  });
  const conns: Connection[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const t = new MqttTransport({ url: broker.url, clientId: uniq(), topicPrefix: prefix });
    transports.push(t);
    conns.push(await t.connect({ deviceAddr: randomBytes(20), serverId: 's' }));
  }
  const sends: Promise<void>[] = [];
  for (let k = 0; k < PER_DEVICE; k++) {
    for (const c of conns) sends.push(c.send({ kind: MessageKind.BLOCK, payload: new Uint8Array(LEN).fill(k) }));
  }
  await Promise.all(sends);
  const total = DEVICES * PER_DEVICE;
  await waitFor(() => held.length + busy.length === total, 'every publish admitted or refused');

  const perPublish = 1 + LEN;
  const fit = Math.floor(BUDGET / perPublish);
  const s = srv.stats();
  assert.equal(held.length, fit, 'as many as fit are held');
  assert.equal(busy.length, total - fit);
  assert.deepEqual(s.refused, { MQTT_BUSY: total - fit });
  assert.deepEqual(
    { heldBytes: s.held.heldBytes, heldFrames: s.held.heldFrames, peakBytes: s.held.peakBytes, admitted: s.held.admitted, refused: s.held.refused, refusedBytes: s.held.refusedBytes },
    { heldBytes: fit * perPublish, heldFrames: fit, peakBytes: fit * perPublish, admitted: fit, refused: total - fit, refusedBytes: (total - fit) * perPublish },
  );
  assert.ok(s.held.peakBytes <= BUDGET);
  assert.ok(new Set([...held, ...busy].map((m) => m.deviceHex)).size === DEVICES, 'all devices were heard');

  for (const r of release.splice(0)) r();
  await waitFor(() => srv.stats().held.heldBytes === 0, 'the budget freed');
  release = [];
  const wave = conns.slice(0, fit);
  await Promise.all(wave.map((c) => c.send({ kind: MessageKind.BLOCK, payload: new Uint8Array(LEN) })));
  await waitFor(() => held.length === 2 * fit, 'the next publishes admitted');
  assert.equal(srv.stats().held.refused, total - fit, 'no new refusal');
  assert.equal(srv.stats().held.peakBytes, fit * perPublish);
  for (const r of release.splice(0)) r();
});
