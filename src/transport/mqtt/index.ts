/**
 * MQTT transport (docs/MQTT.md): devices and storage servers over a broker.
 * Every publish is one self-contained frame; delivery is carried end to end
 * by the signed ACKs and the device's outbox.
 */
export { MqttTransport, type MqttPeerAddress, type MqttTransportStats } from './mqtt-transport.js';
export { MqttIntake, type IncomingFrame, type IntakeHandler, type RefusalCode } from './intake.js';
export { MqttListener } from './mqtt-listener.js';
export { MqttConnection, frameOfPublish, publishOfFrame } from './mqtt-connection.js';
export { HeldBytes, type HeldBytesSnapshot } from './held-bytes.js';
export { deviceClientId, serverClientId, resolveMqttOptions, MAX_MQTT_FRAME_BYTES, type MqttTransportOptions } from './options.js';
export { MqttTopics, DEFAULT_TOPIC_PREFIX, SERVER_ID_RE, carries, upChannelOf, deviceHexOf, type Channel, type ParsedTopic } from './topics.js';
export { MqttLink, type MqttLinkOptions } from './link.js';
export { mqttError, type MqttErrorCode, type MqttError } from './errors.js';
