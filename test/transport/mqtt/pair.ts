/** Builds connected MQTT pairs (device end `a`, server end `b`) for the contract and session tests. */
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../../src/transport/transport.js';
import { MqttTransport, type MqttTransportOptions } from '../../../src/transport/mqtt/index.js';
import type { ContractPair } from '../contract.js';
import { uniq } from './brokers.js';

export interface PairOptions extends Partial<MqttTransportOptions> {
  url: string;
  protocolVersion?: 4 | 5;
}

/** Device transport `dt` connected to server transport `st` (listening as 's1') under a unique prefix. */
export async function mqttPair(o: PairOptions): Promise<ContractPair & { dt: MqttTransport; st: MqttTransport; prefix: string; deviceAddr: Uint8Array }> {
  const id = uniq();
  const prefix = `${id}/v1`;
  const common = { topicPrefix: prefix, sessionExpirySec: 60, reconnect: { initialMs: 50, maxMs: 500 }, ...o };
  const st = new MqttTransport({ ...common, clientId: `${id}-srv`, serverId: 's1' });
  const accepted: Connection[] = [];
  let onAccept: (() => void) | undefined;
  const listener = await st.listen((c) => {
    accepted.push(c);
    onAccept?.();
  });
  const deviceAddr = new Uint8Array(randomBytes(20));
  const dt = new MqttTransport({ ...common, clientId: `${id}-dev` });
  const a = await dt.connect({ deviceAddr, serverId: 's1' });
  if (accepted.length === 0) await new Promise<void>((resolve) => (onAccept = resolve));
  const b = accepted[0]!;
  return {
    a, b, st, dt, prefix, deviceAddr,
    cleanup: async () => {
      await Promise.all([a.close(), b.close()]);
      await listener.close();
      await Promise.all([dt.close(), st.close()]);
    },
  };
}
