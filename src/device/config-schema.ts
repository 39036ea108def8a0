/**
 * The device configuration schema: the single source of truth. The TS type
 * `DeviceConfig` is derived from it, and firmware-config/device.schema.json is
 * generated from it (`npm run schema`; a test checks they agree).
 */
import type { FromSchema } from 'json-schema-to-ts';

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
    camera: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'unset values take per-backend defaults (src/capture/config.ts): rpicam/v4l2 1920x1080, fake 640x480',
      properties: {
        backend: { type: 'string', enum: ['rpicam', 'v4l2', 'fake'], default: 'fake' },
        width: { type: 'integer', minimum: 16, maximum: 8192 },
        height: { type: 'integer', minimum: 16, maximum: 8192 },
        framerate: { type: 'number', exclusiveMinimum: 0, maximum: 240 },
        quality: { type: 'integer', minimum: 1, maximum: 100 },
        device: { type: 'string', description: 'v4l2 device node (default /dev/video0)' },
        binary: { type: 'string', description: 'path of rpicam-vid or ffmpeg (default: found on PATH)' },
        extraArgs: { type: 'array', items: { type: 'string' }, maxItems: 64 },
        fakeDir: { type: 'string', description: 'fake backend: cycle the .jpg files of this directory' },
        fakeRenderEvery: { type: 'integer', minimum: 1, maximum: 10000, description: 'fake backend: encode a fresh frame every N frames' },
        maxFrameBytes: { type: 'integer', minimum: 1024, maximum: 268435456 },
        queueFrames: { type: 'integer', minimum: 1, maximum: 1024, description: 'unsigned frames buffered before the oldest is dropped' },
        queueBytes: { type: 'integer', minimum: 1024, maximum: 1073741824 },
        stallTimeoutMs: { type: 'integer', minimum: 100, description: 'restart the camera process after this long without a frame' },
        killTimeoutMs: { type: 'integer', minimum: 10 },
        restart: {
          type: 'object',
          additionalProperties: false,
          properties: {
            initialMs: { type: 'integer', minimum: 1 },
            maxMs: { type: 'integer', minimum: 1 },
            factor: { type: 'number', minimum: 1 },
            resetAfterMs: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    capture: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'unset values take the defaults of src/capture/policy-config.ts',
      properties: {
        mode: { type: 'string', enum: ['interval', 'motion', 'continuous'], default: 'interval' },
        intervalMs: { type: 'integer', minimum: 1, description: 'interval mode: one still every intervalMs (default 10000)' },
        motionThreshold: { type: 'number', minimum: 0, maximum: 255, description: 'mean absolute luma difference that counts as motion (default 8)' },
        motionRecheckMs: { type: 'integer', minimum: 1, description: 'with no motion, check again after this long (default 3000)' },
        motionMinGapMs: { type: 'integer', minimum: 0, description: 'after a motion capture, wait at least this long (default 1000)' },
        motionSampleWidth: { type: 'integer', minimum: 4, maximum: 1024 },
        motionSampleHeight: { type: 'integer', minimum: 4, maximum: 1024 },
        segmentMs: { type: 'integer', minimum: 100, description: 'continuous mode: segment duration (default 5000)' },
        maxSegmentBytes: { type: 'integer', minimum: 1024, maximum: 268435456 },
      },
    },
    keys: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        deviceSuite: { type: 'integer', enum: [1, 2], default: 1, description: 'suite of a NEW device key: 1 = ES256K (secp256k1), 2 = ES256 (P-256)' },
        modulusBits: { type: 'integer', enum: [2048, 3072], default: 3072 },
        blocks: { type: 'integer', minimum: 1, maximum: 256, default: 16, description: 'n: maximum blocks per capture' },
        periods: { type: 'integer', minimum: 2, maximum: 16777216, default: 4096, description: 'T: periods per key cycle' },
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
        chunkBytes: { type: 'integer', minimum: 1024, maximum: 268435456, default: 262144, description: 'blocks larger than this are sent as numbered chunks' },
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
