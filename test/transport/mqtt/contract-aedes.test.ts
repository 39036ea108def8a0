// The shared transport contract over MQTT through an in-process aedes broker (MQTT 3.1.1).
import { after, before } from 'node:test';
import { transportContract } from '../contract.js';
import { startAedes } from './brokers.js';
import { MQTT_CAPS, mqttPair } from './pair.js';

let broker: Awaited<ReturnType<typeof startAedes>>;
before(async () => {
  broker = await startAedes();
});
after(() => broker.close());

transportContract('mqtt (aedes, MQTT 3.1.1)', ({ maxFrameBytes }) => mqttPair({ url: broker.url, maxFrameBytes, protocolVersion: 4 }), MQTT_CAPS);
