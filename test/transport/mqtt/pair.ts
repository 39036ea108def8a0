/** Builds connected MQTT pairs (device end `a`, server end `b`) for the contract and connection tests. */
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../../src/transport/transport.js';
import { MqttTransport, type MqttTransportOptions } from '../../../src/transport/mqtt/index.js';
import type { ContractCaps, ContractPair } from '../contract.js';
import { uniq } from './brokers.js';

/** What MQTT promises (docs/MQTT.md): no order, no session to close, a bounded receiver that refuses. */
export const MQTT_CAPS: ContractCaps = { ordered: false, closeReachesPeer: false, backpressure: 'refuse' };

export interface PairOptions extends Partial<MqttTransportOptions> {
  url: string;
  protocolVersion?: 4 | 5;
}

/**
 * Device transport `dt` connected to server transport `st` (listening as 's1', 8 MiB held-bytes
 * budget unless given) under a unique prefix. The server end `b` opens with the device's first
 * frame, so a HELLO-like frame (kind 7, ERROR) is sent first and read off `b` here.
 */
export async function mqttPair(o: PairOptions): Promise<ContractPair & { dt: MqttTransport; st: MqttTransport; prefix: string; deviceAddr: Uint8Array }> {
  const id = uniq();
  const prefix = `${id}/v1`;
  const common = { topicPrefix: prefix, sessionExpirySec: 60, reconnect: { initialMs: 50, maxMs: 500 }, ...o };
  const st = new MqttTransport({ maxHeldBytes: Math.max(8 << 20, o.maxFrameBytes ?? 0), ...common, clientId: `${id}-srv`, serverId: 's1' });
  const accepted: Connection[] = [];
  let onAccept: (() => void) | undefined;
  const listener = await st.listen((c) => {
    accepted.push(c);
    onAccept?.();
  });
  const deviceAddr = new Uint8Array(randomBytes(20));
  const dt = new MqttTransport({ ...common, clientId: `${id}-dev` });
  const a = await dt.connect({ deviceAddr, serverId: 's1' });
  await a.send({ kind: 7, payload: Uint8Array.of(1) });
  if (accepted.length === 0) await new Promise<void>((resolve) => (onAccept = resolve));
  const b = accepted[0]!;
  await b.receive();
  return {
    a, b, st, dt, prefix, deviceAddr,
    held: () => st.stats().held,
    cleanup: async () => {
      await Promise.all([a.close(), b.close()]);
      await listener.close();
      await Promise.all([dt.close(), st.close()]);
    },
  };
}
