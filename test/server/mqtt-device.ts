/**
 * A test device that delivers pre-signed blocks to one storage server over the
 * MQTT transport with outbox semantics: a block is finished only by a STORED or
 * DUPLICATE ACK with a valid signature by the configured server key, ACKs are
 * matched to the blocks in flight by (seq, i) and anything else on the answer
 * topic (answers of an earlier round, repeats) is ignored. When no ACK comes in
 * time the round ends; the next one says HELLO and REG again and re-sends
 * every unfinished block.
 */
import { addressOf, type Suite } from '../../src/crypto/ecdsa.js';
import { verifyBlockAck } from '../../src/protocol/block-ack.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isDelivered, type BlockMessage, type Message } from '../../src/transport/messages.js';
import type { MqttTransport } from '../../src/transport/mqtt/index.js';
import { DeviceClient, type TestDevice } from './helpers.js';

export interface DeliveryReport {
  /** (seq:i) keys finished with STORED/DUPLICATE. */
  readonly delivered: Set<string>;
  /** Rounds (HELLO, REG, blocks until done or an ACK is overdue). */
  sessions: number;
  /** Blocks sent again because their ACK was overdue. */
  resent: number;
  badAcks: number;
  rejected: string[];
}

const keyOf = (m: { header: Uint8Array; index: number }): string => `${Buffer.from(m.header.subarray(16, 24)).readBigUInt64BE()}:${m.index}`;

/** The next message of `type` within `ms` (others — earlier answers, STATUS — are skipped). */
export async function nextOf(c: DeviceClient, type: Message['type'] | 'reg-ack|error', ms: number): Promise<Message> {
  let t: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`no ${type} in time`)), ms)));
  try {
    for (;;) {
      const m = await Promise.race([c.next(), deadline]);
      if (m.type === type || (type === 'reg-ack|error' && (m.type === 'reg-ack' || m.type === 'error'))) return m;
    }
  } finally {
    clearTimeout(t);
  }
}

/**
 * Delivers every block (window of `window` in flight) until all are acknowledged or `deadline` passes.
 * `onAck` runs after each delivered block (e.g. to kill the server at some point).
 */
export async function deliverAll(o: {
  transport: MqttTransport; dev: TestDevice; serverId: string; server: { suite: Suite; publicKey: Uint8Array };
  blocks: readonly BlockMessage[]; window?: number; deadlineMs?: number; ackTimeoutMs?: number; onAck?: (n: number) => void | Promise<void>;
}): Promise<DeliveryReport> {
  const rep: DeliveryReport = { delivered: new Set(), sessions: 0, resent: 0, badAcks: 0, rejected: [] };
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  const ackMs = o.ackTimeoutMs ?? 5000;
  const signerAddr = addressOf(o.server.suite, o.server.publicKey);
  const sent = new Set<string>();
  while (rep.delivered.size < o.blocks.length) {
    if (Date.now() > deadline) throw new Error(`deadline: ${rep.delivered.size}/${o.blocks.length} delivered in ${rep.sessions} rounds`);
    let c: DeviceClient;
    try {
      c = new DeviceClient(await o.transport.connect({ deviceAddr: o.dev.addr, serverId: o.serverId }));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    rep.sessions++;
    try {
      await c.send({ type: 'hello', protocol: 1, role: 1, addr: o.dev.addr, maxFrameBytes: c.conn.maxFrameBytes, id: '' });
      await nextOf(c, 'hello', ackMs);
      await c.send({ type: 'reg', payload: o.dev.reg });
      const r = await nextOf(c, 'reg-ack|error', ackMs);
      if (r.type !== 'reg-ack') throw new Error(`REG_ACK expected, got ${r.type}`);
      const todo = o.blocks.filter((m) => !rep.delivered.has(keyOf(m)));
      const byKey = new Map(todo.map((m) => [keyOf(m), m]));
      const inflight = new Set<string>();
      let next = 0;
      const pump = async (): Promise<void> => {
        while (inflight.size < (o.window ?? 16) && next < todo.length) {
          const m = todo[next++]!;
          inflight.add(keyOf(m));
          if (sent.has(keyOf(m))) rep.resent++;
          sent.add(keyOf(m));
          await c.send(m);
        }
      };
      await pump();
      while (inflight.size > 0) {
        const a = await nextOf(c, 'ack', ackMs);
        if (a.type !== 'ack') continue;
        const key = `${a.seq}:${a.index}`;
        const m = byKey.get(key);
        if (m === undefined || !inflight.has(key)) continue; // an answer of an earlier round, or a repeat
        const ok = a.signature !== undefined && verifyBlockAck(o.server.suite, o.server.publicKey, {
          signerAddr, deviceAddr: o.dev.addr, headerDigest: sha256(m.header), index: a.index, status: a.status,
        }, a.signature) === null;
        inflight.delete(key);
        if (!ok) rep.badAcks++;
        else if (isDelivered(a.status)) {
          if (!rep.delivered.has(key)) {
            rep.delivered.add(key);
            await o.onAck?.(rep.delivered.size);
          }
        } else rep.rejected.push(a.reason);
        await pump();
      }
    } catch (e) {
      if (process.env['SEALCAM_DEBUG']) console.log('round ended', Date.now(), (e as Error).message);
      // an ACK is overdue (server killed, broker restarted): a new round re-sends what is unfinished
    } finally {
      await c.conn.close().catch(() => undefined);
    }
  }
  return rep;
}
