/**
 * A test device that delivers pre-signed blocks to one storage server over the
 * MQTT transport with outbox semantics: a block is finished only by a STORED or
 * DUPLICATE ACK with a valid signature by the configured server key; when the
 * session breaks it reconnects (HELLO, REG) and re-sends every unfinished block.
 */
import { addressOf, type Suite } from '../../src/crypto/ecdsa.js';
import { verifyBlockAck } from '../../src/protocol/block-ack.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isDelivered, type BlockMessage } from '../../src/transport/messages.js';
import type { MqttTransport } from '../../src/transport/mqtt/index.js';
import { DeviceClient, type TestDevice } from './helpers.js';

export interface DeliveryReport {
  /** (seq:i) keys finished with STORED/DUPLICATE. */
  readonly delivered: Set<string>;
  sessions: number;
  badAcks: number;
  rejected: string[];
}

const keyOf = (m: BlockMessage): string => `${Buffer.from(m.header.subarray(16, 24)).readBigUInt64BE()}:${m.index}`;

/**
 * Delivers every block (window of `window` in flight) until all are acknowledged or `deadline` passes.
 * `onAck` runs after each delivered block (e.g. to kill the server at some point).
 */
export async function deliverAll(o: {
  transport: MqttTransport; dev: TestDevice; serverId: string; server: { suite: Suite; publicKey: Uint8Array };
  blocks: readonly BlockMessage[]; window?: number; deadlineMs?: number; ackTimeoutMs?: number; onAck?: (n: number) => void | Promise<void>;
}): Promise<DeliveryReport> {
  const rep: DeliveryReport = { delivered: new Set(), sessions: 0, badAcks: 0, rejected: [] };
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  const signerAddr = addressOf(o.server.suite, o.server.publicKey);
  while (rep.delivered.size < o.blocks.length) {
    if (Date.now() > deadline) throw new Error(`deadline: ${rep.delivered.size}/${o.blocks.length} delivered in ${rep.sessions} sessions`);
    let c: DeviceClient;
    try {
      c = new DeviceClient(await o.transport.connect({ deviceAddr: o.dev.addr, serverId: o.serverId }));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    rep.sessions++;
    try {
      const h = await c.hello(o.dev.addr);
      if (h.type !== 'hello') throw new Error(`HELLO expected, got ${h.type}`);
      const r = await c.register(o.dev.reg);
      if (r.type !== 'reg-ack') throw new Error(`REG_ACK expected, got ${r.type}`);
      const todo = o.blocks.filter((m) => !rep.delivered.has(keyOf(m)));
      const byKey = new Map(todo.map((m) => [keyOf(m), m]));
      let next = 0;
      let inflight = 0;
      const pump = async (): Promise<void> => {
        while (inflight < (o.window ?? 16) && next < todo.length) {
          inflight++;
          await c.send(todo[next++]!);
        }
      };
      await pump();
      while (inflight > 0) {
        let t: NodeJS.Timeout | undefined;
        const a = await Promise.race([
          c.reply(),
          new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error('no ACK in time')), o.ackTimeoutMs ?? 5000))),
        ]).finally(() => clearTimeout(t));
        if (a.type !== 'ack') continue;
        inflight--;
        const m = byKey.get(`${a.seq}:${a.index}`);
        if (m === undefined) continue;
        const ok = a.signature !== undefined && verifyBlockAck(o.server.suite, o.server.publicKey, {
          signerAddr, deviceAddr: o.dev.addr, headerDigest: sha256(m.header), index: a.index, status: a.status,
        }, a.signature) === null;
        if (!ok) rep.badAcks++;
        else if (isDelivered(a.status)) {
          if (!rep.delivered.has(keyOf(m))) {
            rep.delivered.add(keyOf(m));
            await o.onAck?.(rep.delivered.size);
          }
        } else rep.rejected.push(a.reason);
        await pump();
      }
    } catch (e) {
      if (process.env['SEALCAM_DEBUG']) console.log('session broke', Date.now(), (e as Error).message);
      // session broke (server killed, broker restarted): reconnect and resend what is unfinished
    } finally {
      await c.conn.close().catch(() => undefined);
    }
  }
  return rep;
}
