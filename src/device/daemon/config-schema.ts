/**
 * The device configuration schema: the single source of truth. The TS type
 * `DeviceConfig` is derived from it, and firmware-config/device.schema.json is
 * generated from it (`npm run schema`; a test checks they agree).
 */
import type { FromSchema } from 'json-schema-to-ts';
import { cameraSchema } from '../../capture/config.js';
import { policySchema } from '../../capture/policy-config.js';

const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` }) as const;

const serverRef = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'publicKey'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'destination id (MQTT topics, outbox, acks)' },
    suite: { type: 'integer', enum: [1, 2], default: 1, description: '1 = ES256K (secp256k1), 2 = ES256 (P-256)' },
    publicKey: { ...hex(65), description: "the server's ECDSA public key (0x04||x||y); acks are checked against it" },
  },
} as const;

export const deviceConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://sealcam.dev/schema/device.schema.json',
  title: 'sealcam device configuration',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { type: 'integer', const: 1, description: 'configuration format version' },
    stateDir: { type: 'string', minLength: 1, default: '/var/lib/sealcam', description: 'keys, outbox and records (systemd StateDirectory)' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
      },
    },
    camera: cameraSchema,
    capture: policySchema,
    keys: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        deviceSuite: { type: 'integer', enum: [1, 2], default: 2, description: 'suite of a NEW device key: 2 = ES256 (P-256, the default: needed for Content Credentials), 1 = ES256K (secp256k1)' },
        modulusBits: { type: 'integer', enum: [2048, 3072], default: 3072 },
        blocks: { type: 'integer', minimum: 1, maximum: 256, default: 16, description: 'n: maximum blocks per capture' },
        periods: { type: 'integer', minimum: 2, maximum: 16777216, default: 65536, description: 'T: periods per key cycle (65536 × 60 s: a 45-day cycle, so the key chain in a bundle stays short)' },
        periodMs: { type: 'integer', minimum: 1, maximum: 4294967295, default: 60000, description: 'Δ: period length in ms' },
        nextCycleAt: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'fraction of the cycle after which the next cycle is generated' },
        nextCycleLeadMs: { type: 'integer', minimum: 0, default: 3600000, description: 'generate the next cycle at least this long before the cycle ends' },
        credentialName: { type: 'string', default: 'sealcam.key', description: 'systemd credential holding the at-rest encryption key' },
        requireEncryption: { type: 'boolean', default: false, description: 'refuse to start unless the key state is encrypted at rest (credential present)' },
      },
    },
    outbox: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBytes: { type: 'integer', minimum: 1048576, default: 536870912 },
        maxRecords: { type: 'integer', minimum: 16, default: 200000 },
        whenFull: { type: 'string', enum: ['refuse'], default: 'refuse', description: 'refuse new captures; signed data is never dropped' },
        retryBaseMs: { type: 'integer', minimum: 10, default: 500 },
        retryMaxMs: { type: 'integer', minimum: 100, default: 300000 },
      },
    },
    tcp: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        host: { type: 'string', default: '0.0.0.0' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 7447 },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: {
            cert: { type: 'string', description: 'PEM certificate file served to receivers (they pin its SHA-256)' },
            key: { type: 'string', description: 'PEM private key file' },
            clientPin: { ...hex(32), description: 'optional: SHA-256 of the only client certificate accepted' },
          },
        },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
        username: { type: 'string' },
        password: { type: 'string' },
        servers: { type: 'array', items: serverRef, default: [], maxItems: 64 },
        topicPrefix: { type: 'string', pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$', default: 'sealcam/v1', description: 'topic prefix shared with the storage servers (docs/MQTT.md)' },
        clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'default sealcam-d-{device address}' },
        protocolVersion: { type: 'integer', enum: [4, 5], default: 4, description: '4 = MQTT 3.1.1, 5 = MQTT 5 (session expiry)' },
        caFile: { type: 'string', description: 'PEM CA bundle for mqtts:// brokers' },
      },
    },
    receivers: {
      type: 'array',
      default: [],
      maxItems: 64,
      description: "receivers (phones) allowed as outbox destinations over TCP/BLE; the bound owner is always one (id 'owner')",
      items: serverRef,
    },
    ble: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        name: { type: 'string', maxLength: 20, default: 'sealcam', description: 'advertised local name' },
        requireEncryption: { type: 'boolean', default: false, description: 'characteristics need an encrypted (paired) link; not a security boundary (docs/BLE.md §10)' },
        fullData: { type: 'string', enum: ['idle', 'request'], default: 'idle', description: 'full block data when the link is idle, or only when the phone requests it' },
        maxSessions: { type: 'integer', minimum: 1, maximum: 16, default: 4, description: 'phone sessions held (attached or suspended)' },
        resumeTimeoutMs: { type: 'integer', minimum: 1000, maximum: 86400000, default: 120000, description: 'how long a dropped session waits for the phone to resume it' },
      },
    },
  },
} as const;

/** The validated device configuration (defaults applied). */
export type DeviceConfig = FromSchema<typeof deviceConfigSchema, { keepDefaultedPropertiesOptional: false }>;
