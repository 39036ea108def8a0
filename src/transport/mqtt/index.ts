/**
 * MQTT transport (docs/MQTT.md): sessions between devices and storage servers
 * over a broker, exposed as the generic Transport/Connection interface.
 */
export { MqttTransport, type MqttPeerAddress } from './mqtt-transport.js';
export { MqttListener } from './mqtt-listener.js';
export type { MqttConnection } from './mqtt-connection.js';
export { deviceClientId, serverClientId, resolveMqttOptions, type MqttTransportOptions } from './options.js';
export { MqttTopics, DEFAULT_TOPIC_PREFIX, SERVER_ID_RE, upChannelOf, deviceHexOf, type Channel, type ParsedTopic } from './topics.js';
export { encodeEnvelope, decodeEnvelope, EnvelopeType, type Envelope } from './envelope.js';
export { ChunkAssembler, splitPayload, DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES } from './chunks.js';
export { SendWindow, OrderedReceiver, UnorderedReceiver, type Window } from './flow.js';
export { MqttLink, backoffDelay, type MqttLinkOptions, type BackoffOptions } from './link.js';
export { mqttError, type MqttErrorCode, type MqttError } from './errors.js';
