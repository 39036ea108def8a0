/**
 * The storage-server configuration schema: the single source of truth. The TS
 * type `ServerConfig` is derived from it, and firmware-config/server.schema.json
 * is its JSON rendering (`renderServerSchema()`; a test checks they agree).
 */
import type { FromSchema } from 'json-schema-to-ts';

const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` }) as const;
const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

const trustedKey = {
  type: 'object',
  additionalProperties: false,
  required: ['publicKey'],
  properties: {
    suite: { type: 'integer', enum: [1, 2], default: 1, description: '1 = ES256K (secp256k1), 2 = ES256 (P-256)' },
    publicKey: { ...hex(65), description: 'manufacturer ECDSA public key 0x04||x||y, hex' },
    name: { type: 'string', maxLength: 64 },
  },
} as const;

export const serverConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://sealcam.dev/schema/server.schema.json',
  title: 'sealcam storage server configuration',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'id', 'trustedManufacturers'],
  properties: {
    version: { type: 'integer', const: 1, description: 'configuration format version' },
    id: { ...id, description: "this server's destination id (devices' mqtt.servers[].id, MQTT topics, ACK dest)" },
    dataDir: { type: 'string', minLength: 1, default: '/var/lib/sealcam-server', description: 'server key, key chains (chains/, fork evidence in chains/forks/), block store' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { level: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'silent'], default: 'info' } },
    },
    key: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        suite: { type: 'integer', enum: [1, 2], default: 1, description: 'suite of the server key created on first start (dataDir/server-key.json, 0600)' },
        credentialName: {
          type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', default: 'sealcam-server.key',
          description: 'systemd credential holding the server key (64 hex characters); when the service has it, server-key.json is not used',
        },
      },
    },
    trustedManufacturers: { type: 'array', items: trustedKey, minItems: 1, maxItems: 256, description: 'registrations are accepted only from devices of these manufacturers (required: a storage server never trusts a maker on first use)' },
    trustedWitnesses: { type: 'array', items: trustedKey, default: [], maxItems: 256, description: 'other storage servers whose acknowledgements carried in a restarted key chain count (SCHEME.md §7); this server always witnesses what it accepts' },
    verify: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        freshnessMs: { type: 'integer', minimum: 1000, maximum: 31536000000, default: 86400000, description: 'Δt: blocks with |serverTime − ts| > Δt are rejected (STALE_TIMESTAMP)' },
        headerCache: { type: 'integer', minimum: 16, maximum: 1000000, default: 4096, description: 'verified headers kept (a capture header is checked once)' },
        keyCache: { type: 'integer', minimum: 16, maximum: 1000000, default: 1024, description: 'decoded key cycles (FsPublicKeys) kept in memory' },
        maxDevices: { type: 'integer', minimum: 1, maximum: 100000000, default: 1000000 },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        minFreeBytes: { type: 'integer', minimum: 0, default: 1073741824, description: 'below this free space blocks are answered RETRY_LATER (STORE_FULL)' },
        maxBatch: { type: 'integer', minimum: 1, maximum: 4096, default: 256, description: 'blocks per group commit (one journal fsync)' },
        segmentBytes: { type: 'integer', minimum: 65536, maximum: 4294967295, default: 67108864, description: 'index journal segment size' },
      },
    },
    status: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        intervalMs: { type: 'integer', minimum: 100, maximum: 86400000, default: 10000, description: 'signed STATUS period (retained on MQTT)' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxFrameBytes: { type: 'integer', minimum: 4096, maximum: 268435456, default: 8388608, description: 'largest message accepted (a BLOCK with its data)' },
        maxInflightPerSession: { type: 'integer', minimum: 1, maximum: 65536, default: 256, description: 'blocks of one session awaiting their commit' },
        maxViolationsPerSession: { type: 'integer', minimum: 1, maximum: 1000000, default: 64, description: 'malformed messages before a session is closed' },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
        clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'default sealcam-s-{id} (or sealcam-s-{id}-{member})' },
        member: { ...id, description: 'member name inside a shared group (distinct clientId per member)' },
        username: { type: 'string' },
        password: { type: 'string' },
        protocolVersion: { type: 'integer', enum: [4, 5], default: 4, description: '4 = MQTT 3.1.1, 5 = MQTT 5 (session expiry)' },
        sessionExpirySec: { type: 'integer', minimum: 0, maximum: 4294967295, default: 604800 },
        topicPrefix: { type: 'string', default: 'sealcam/v1' },
        shareGroup: { ...id, description: 'share the ctl and blocks subscriptions ($share/{group}/…) with the other members' },
        maxHeldBytes: { type: 'integer', minimum: 4096, maximum: 68719476736, default: 67108864, description: 'bytes of received messages held at once, all devices together (awaiting verification or commit); more is refused (SERVER_BUSY) and counted' },
        caFile: { type: 'string', description: 'PEM CA bundle for mqtts://' },
      },
    },
  },
} as const;

/** The validated server configuration (defaults applied). */
export type ServerConfig = FromSchema<typeof serverConfigSchema, { keepDefaultedPropertiesOptional: false }>;

/** The JSON text of firmware-config/server.schema.json. */
export function renderServerSchema(): string {
  return JSON.stringify(serverConfigSchema, null, 2) + '\n';
}
