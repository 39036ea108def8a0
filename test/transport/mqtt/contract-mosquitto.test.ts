// The shared transport contract over MQTT through the machine's Mosquitto (MQTT 5,
// 127.0.0.1:1883 or SEALCAM_TEST_MQTT_URL). The broker is REQUIRED: without it this file fails.
import { before } from 'node:test';
import { transportContract } from '../contract.js';
import { MOSQUITTO_URL, probe } from './brokers.js';
import { MQTT_CAPS, mqttPair } from './pair.js';

before(() => probe(MOSQUITTO_URL));

transportContract('mqtt (mosquitto, MQTT 5)', ({ maxFrameBytes }) => mqttPair({ url: MOSQUITTO_URL, maxFrameBytes, protocolVersion: 5 }), MQTT_CAPS);
