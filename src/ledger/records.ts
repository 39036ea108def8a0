/**
 * Typed builders and verifiers of the life-cycle records (SCHEME.md §7):
 * leave factory (v2), bind, owner-signed bind request, unbind, restart,
 * registration acknowledgement (v2) and save hash. Signatures are ECDSA (§5) over
 * the messages of messages.ts. Verifiers return a coded {@link Failure} (the
 * ECDSA reason in `detail`) or null; they never throw on record contents.
 * Pure.
 */
import { ecdsaCheckPublicKey, ecdsaPublicKey, ecdsaSign, ecdsaVerify, isSuite, type Suite } from '../crypto/ecdsa.js';
import { abytes, equalBytes, U64_MAX } from '../platform/bytes.js';
import { failure, type Failure } from './errors.js';
import { ZERO_ADDR } from './messages.js';
import {
  FIELD_LENGTH, specOf,
  type AckRecord, type BindRecord, type BindRequestRecord, type FactoryRecord, type LifecycleRecord,
  type RecordSpec, type RestartRecord, type SaveHashRecord, type UnbindRecord,
} from './record-spec.js';

/**
 * Describes why `r` is not a well-formed record (wrong kind, field type or
 * length), or returns null.
 */
export function recordShapeError(r: unknown): string | null {
  if (typeof r !== 'object' || r === null) return 'record must be an object';
  const rec = r as Record<string, unknown>;
  let spec: RecordSpec;
  try {
    spec = specOf(rec.kind as LifecycleRecord['kind']);
  } catch {
    return `unknown record kind ${String(rec.kind)}`;
  }
  for (const [name, kind] of spec.fields) {
    const v = rec[name];
    if (kind === 'suite') {
      if (!isSuite(v)) return `${name} must be 1 or 2`;
    } else if (kind === 'u64') {
      if (typeof v !== 'bigint' || v < 1n || v > U64_MAX) return `${name} must be a bigint in [1, 2^64-1]`;
    } else if (kind === 'time') {
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) return `${name} must be a bigint in [0, 2^64-1]`;
    } else if (kind === 'u32') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) return `${name} must be an integer in [1, 2^32-1]`;
    } else {
      if (!(v instanceof Uint8Array) || v.length !== FIELD_LENGTH[kind]) return `${name} must be ${FIELD_LENGTH[kind]} bytes`;
      if (kind === 'pub' && v[0] !== 0x04) return `${name} must start with 0x04`;
    }
  }
  return null;
}

/** Verifies any record's shape and signature (and the kind-specific checks below). */
export function verifyRecord(r: LifecycleRecord): Failure | null {
  const shape = recordShapeError(r);
  if (shape !== null) return failure('RECORD_FORMAT', shape);
  const spec = specOf(r.kind);
  const rec = r as unknown as Record<string, unknown>;
  if (r.kind === 'factory' && ecdsaCheckPublicKey(r.deviceSuite, r.devicePublicKey) !== null) {
    return failure('REG_DEVICE_KEY', 'device public key is not a valid point of its suite', 'DEVICE_KEY_INVALID');
  }
  if (r.kind === 'bind' && equalBytes(r.ownerAddr, ZERO_ADDR)) {
    return failure('BIND_OWNER_ZERO', 'a device cannot be bound to the zero (unbound) address');
  }
  const suite = rec[spec.signer[0]] as Suite;
  const pub = rec[spec.signer[1]] as Uint8Array;
  const reason = ecdsaVerify(suite, pub, spec.message(r), r.signature);
  if (reason !== null) return failure(spec.sigCode, `${r.kind} record signature by ${spec.signer[1]} does not verify`, reason);
  return null;
}

function sign<T extends LifecycleRecord>(kind: T['kind'], suite: Suite, secret: Uint8Array, body: Record<string, unknown>): T {
  const spec = specOf(kind);
  abytes(secret, 'secret', 32);
  const unsigned = { kind, ...body, [spec.signer[0]]: suite, [spec.signer[1]]: ecdsaPublicKey(suite, secret), signature: new Uint8Array(64) };
  const shape = recordShapeError(unsigned);
  if (shape !== null) throw new RangeError(shape);
  const signature = ecdsaSign(suite, secret, spec.message(unsigned as unknown as LifecycleRecord));
  return { ...unsigned, signature } as unknown as T;
}

/**
 * Manufacturer signs the leave-factory record (v2) of a device key and its
 * first key cycle, at `issuedAt` (its own clock, Unix ms) (SCHEME.md §7).
 * @throws TypeError/RangeError on a bad suite, secret, device key (must be a valid point), firstKeyId or issuedAt.
 */
export function signFactoryRecord(p: {
  manufacturerSuite: Suite; manufacturerSecret: Uint8Array; deviceSuite: Suite; devicePublicKey: Uint8Array;
  firstKeyId: Uint8Array; issuedAt: bigint;
}): FactoryRecord {
  if (!isSuite(p.deviceSuite)) throw new RangeError('deviceSuite must be 1 or 2');
  if (ecdsaCheckPublicKey(p.deviceSuite, p.devicePublicKey) !== null) throw new RangeError('devicePublicKey is not a valid key of deviceSuite');
  return sign<FactoryRecord>('factory', p.manufacturerSuite, p.manufacturerSecret,
    { deviceSuite: p.deviceSuite, devicePublicKey: p.devicePublicKey, firstKeyId: p.firstKeyId, issuedAt: p.issuedAt });
}

/** Verifies a leave-factory record: REG_DEVICE_KEY, REG_FACTORY_SIGNATURE (detail: ECDSA reason), RECORD_FORMAT. */
export function verifyFactoryRecord(r: FactoryRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Device signs the bind record for (ownerAddr, nonce) (DSTP protocol 2).
 * @throws TypeError/RangeError on bad arguments or a zero ownerAddr.
 */
export function signBindRecord(p: { deviceSuite: Suite; deviceSecret: Uint8Array; ownerAddr: Uint8Array; nonce: Uint8Array }): BindRecord {
  abytes(p.ownerAddr, 'ownerAddr', 20);
  if (equalBytes(p.ownerAddr, ZERO_ADDR)) throw new RangeError('ownerAddr must not be the zero address');
  return sign<BindRecord>('bind', p.deviceSuite, p.deviceSecret, { ownerAddr: p.ownerAddr, nonce: p.nonce });
}

/** Verifies a bind record: BIND_OWNER_ZERO, BIND_SIGNATURE (detail), RECORD_FORMAT. */
export function verifyBindRecord(r: BindRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Owner signs a bind request for a device (the device checks it came from the owner address).
 * @throws TypeError/RangeError on bad arguments.
 */
export function signBindRequest(p: { ownerSuite: Suite; ownerSecret: Uint8Array; deviceAddr: Uint8Array; nonce: Uint8Array }): BindRequestRecord {
  return sign<BindRequestRecord>('bind-request', p.ownerSuite, p.ownerSecret, { deviceAddr: p.deviceAddr, nonce: p.nonce });
}

/** Verifies an owner-signed bind request: BIND_OWNER_SIGNATURE (detail), RECORD_FORMAT. */
export function verifyBindRequest(r: BindRequestRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Owner signs the release of a device it owns.
 * @throws TypeError/RangeError on bad arguments.
 */
export function signUnbindRecord(p: { ownerSuite: Suite; ownerSecret: Uint8Array; deviceAddr: Uint8Array; nonce: Uint8Array }): UnbindRecord {
  return sign<UnbindRecord>('unbind', p.ownerSuite, p.ownerSecret, { deviceAddr: p.deviceAddr, nonce: p.nonce });
}

/** Verifies an unbind record: UNBIND_SIGNATURE (detail), RECORD_FORMAT. Ownership is the ledger's check. */
export function verifyUnbindRecord(r: UnbindRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Device signs the restart of its key chain: cycle keyId follows prevKeyId
 * (never zeros), which ended before a successor was endorsed (SCHEME.md §7).
 * @throws TypeError/RangeError on bad arguments (including a zero prevKeyId).
 */
export function signRestartRecord(p: { deviceSuite: Suite; deviceSecret: Uint8Array; prevKeyId: Uint8Array; keyId: Uint8Array }): RestartRecord {
  abytes(p.prevKeyId, 'prevKeyId', 32);
  if (p.prevKeyId.every((b) => b === 0)) throw new RangeError('prevKeyId of a restart must not be zeros');
  return sign<RestartRecord>('restart', p.deviceSuite, p.deviceSecret, { prevKeyId: p.prevKeyId, keyId: p.keyId });
}

/** Verifies a restart record's signature: REG_RESTART_SIGNATURE (detail), RECORD_FORMAT. */
export function verifyRestartRecord(r: RestartRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Storage server (witness) acknowledges keyId of deviceAddr, first accepted at seenAt (its clock, Unix ms).
 * @throws TypeError/RangeError on bad arguments.
 */
export function signAckRecord(p: {
  serverSuite: Suite; serverSecret: Uint8Array; deviceAddr: Uint8Array; keyId: Uint8Array; seenAt: bigint;
}): AckRecord {
  return sign<AckRecord>('ack', p.serverSuite, p.serverSecret, { deviceAddr: p.deviceAddr, keyId: p.keyId, seenAt: p.seenAt });
}

/** Verifies an acknowledgement's signature: REG_ACK_SIGNATURE (detail), RECORD_FORMAT. Trust: see verifyAck. */
export function verifyAckRecord(r: AckRecord): Failure | null {
  return verifyRecord(r);
}

/**
 * Receiver (owner) key signs batch k of a device's SaveHash chain.
 * @throws TypeError/RangeError on bad arguments (k ≥ 1, size ≥ 1).
 */
export function signSaveHashRecord(p: {
  receiverSuite: Suite; receiverSecret: Uint8Array; deviceAddr: Uint8Array; k: bigint; size: number; root: Uint8Array; hash: Uint8Array;
}): SaveHashRecord {
  return sign<SaveHashRecord>('savehash', p.receiverSuite, p.receiverSecret,
    { deviceAddr: p.deviceAddr, k: p.k, size: p.size, root: p.root, hash: p.hash });
}

/** Verifies a save-hash record's signature: SAVEHASH_SIGNATURE (detail), RECORD_FORMAT. */
export function verifySaveHashRecord(r: SaveHashRecord): Failure | null {
  return verifyRecord(r);
}

/** The signer's (suite, 65-byte public key) of a well-formed record. */
export function recordSigner(r: LifecycleRecord): { suite: Suite; publicKey: Uint8Array } {
  const spec = specOf(r.kind);
  const rec = r as unknown as Record<string, unknown>;
  return { suite: rec[spec.signer[0]] as Suite, publicKey: rec[spec.signer[1]] as Uint8Array };
}
