/**
 * Bind protocol (DSTP protocol 2, docs/LEDGER.md): the owner sends
 * (ownerAddr, nonce) — or an owner-signed bind request — and the device
 * answers with its bind record. A device-side nonce registry refuses reused
 * and malformed nonces. Pure (the registry is in-memory state the caller
 * persists with encode/decode).
 */
import { ecdsaPublicKey, type Suite } from '../crypto/ecdsa.js';
import { abytes, aint, ByteReader, concat, equalBytes, fromHex, toHex, u32, u8, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { raise, type BindReason } from './errors.js';
import { NONCE_LENGTH, rawAddress, ZERO_ADDR } from './messages.js';
import { signBindRecord, verifyBindRecord, verifyBindRequest } from './records.js';
import type { BindRecord, BindRequestRecord } from './record-spec.js';

/** A bind request: plain (ownerAddr, nonce), or signed by the owner key. */
export type BindRequest =
  | { readonly kind: 'plain'; readonly ownerAddr: Uint8Array; readonly nonce: Uint8Array }
  | { readonly kind: 'signed'; readonly request: BindRequestRecord };

/** The device's answer: its signed bind record. */
export interface BindResponse {
  readonly record: BindRecord;
}

const REG_MAGIC = utf8('SCNR');

function err(code: BindReason, msg: string): never {
  throw new SealcamError(code, msg);
}

/** Remembers used bind/unbind nonces (bounded); refuses reuse. */
export class NonceRegistry {
  private readonly used = new Set<string>();

  /** @param capacity most nonces remembered; a full registry refuses new ones (BIND_NONCE_CAPACITY). */
  constructor(readonly capacity = 4096) {
    aint(capacity, 'capacity', 1, 1 << 20);
  }

  /** Number of remembered nonces. */
  get size(): number {
    return this.used.size;
  }

  /** True when `nonce` (32 bytes) was used. */
  has(nonce: Uint8Array): boolean {
    return nonce instanceof Uint8Array && nonce.length === NONCE_LENGTH && this.used.has(toHex(nonce));
  }

  /**
   * Checks that `nonce` may be used now, without remembering it.
   * @throws SealcamError BIND_NONCE_FORMAT | BIND_NONCE_REUSED | BIND_NONCE_CAPACITY.
   */
  check(nonce: Uint8Array): void {
    if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) err('BIND_NONCE_FORMAT', `nonce must be ${NONCE_LENGTH} bytes`);
    if (this.used.has(toHex(nonce))) err('BIND_NONCE_REUSED', 'nonce was already used');
    if (this.used.size >= this.capacity) err('BIND_NONCE_CAPACITY', `nonce registry is full (${this.capacity})`);
  }

  /**
   * Checks and remembers `nonce`.
   * @throws SealcamError BIND_NONCE_FORMAT | BIND_NONCE_REUSED | BIND_NONCE_CAPACITY.
   */
  use(nonce: Uint8Array): void {
    this.check(nonce);
    this.used.add(toHex(nonce));
  }

  /** `"SCNR" || u8(1) || u32(count) || nonces(32 each)`, in insertion order. */
  encode(): Uint8Array {
    return concat(REG_MAGIC, u8(1), u32(this.used.size), ...[...this.used].map(fromHex));
  }

  /**
   * Restores a registry from {@link encode} output.
   * @throws SealcamError BIND_NONCE_FORMAT on malformed bytes (bad magic, version, length,
   *   duplicate nonce, more than `capacity`).
   */
  static decode(bytes: Uint8Array, capacity = 4096): NonceRegistry {
    const reg = new NonceRegistry(capacity);
    if (!(bytes instanceof Uint8Array) || bytes.length < 9 || !equalBytes(bytes.subarray(0, 4), REG_MAGIC) || bytes[4] !== 1) {
      err('BIND_NONCE_FORMAT', 'not a version 1 nonce registry');
    }
    const r = new ByteReader(bytes.subarray(5));
    const count = r.u32();
    if (count > capacity || r.remaining !== count * NONCE_LENGTH) err('BIND_NONCE_FORMAT', 'nonce registry length mismatch');
    for (let i = 0; i < count; i++) {
      const h = toHex(r.bytes(NONCE_LENGTH));
      if (reg.used.has(h)) err('BIND_NONCE_FORMAT', 'duplicate nonce in registry');
      reg.used.add(h);
    }
    return reg;
  }
}

/**
 * Device side of the bind protocol. Checks the request (owner signature and
 * device address for a signed request; a plain one is refused when
 * `requireOwnerSignature`), the owner address and the nonce, signs the bind
 * record, then remembers the nonce.
 * @throws SealcamError BIND_OWNER_SIGNATURE | BIND_DEVICE_MISMATCH | BIND_OWNER_ZERO |
 *   BIND_NONCE_FORMAT | BIND_NONCE_REUSED | BIND_NONCE_CAPACITY; TypeError/RangeError on a bad `device`.
 */
export function handleBindRequest(
  req: BindRequest,
  device: { readonly suite: Suite; readonly secret: Uint8Array },
  nonces: NonceRegistry,
  opts: { readonly requireOwnerSignature?: boolean } = {},
): BindResponse {
  const deviceAddr = rawAddress(ecdsaPublicKey(device.suite, device.secret));
  let ownerAddr: Uint8Array;
  let nonce: Uint8Array;
  if (typeof req !== 'object' || req === null) return err('BIND_NONCE_FORMAT', 'bind request must be an object');
  if (req.kind === 'signed') {
    const f = verifyBindRequest(req.request);
    if (f !== null) {
      if (f.code === 'RECORD_FORMAT' && !(req.request?.nonce instanceof Uint8Array && req.request.nonce.length === NONCE_LENGTH)) {
        err('BIND_NONCE_FORMAT', f.message);
      }
      raise({ ...f, code: 'BIND_OWNER_SIGNATURE' });
    }
    if (!equalBytes(req.request.deviceAddr, deviceAddr)) err('BIND_DEVICE_MISMATCH', 'bind request is for another device');
    ownerAddr = rawAddress(req.request.ownerPublicKey);
    nonce = req.request.nonce;
  } else if (req.kind === 'plain') {
    if (opts.requireOwnerSignature === true) err('BIND_OWNER_SIGNATURE', 'this device only accepts owner-signed bind requests');
    if (!(req.ownerAddr instanceof Uint8Array) || req.ownerAddr.length !== 20) err('BIND_OWNER_ZERO', 'ownerAddr must be 20 bytes');
    ownerAddr = req.ownerAddr;
    nonce = req.nonce;
  } else {
    return err('BIND_NONCE_FORMAT', 'unknown bind request kind');
  }
  if (equalBytes(ownerAddr, ZERO_ADDR)) err('BIND_OWNER_ZERO', 'cannot bind to the zero address');
  nonces.check(nonce);
  const record = signBindRecord({ deviceSuite: device.suite, deviceSecret: device.secret, ownerAddr, nonce });
  nonces.use(nonce);
  return { record };
}

/**
 * Owner side: checks the device's answer to (ownerAddr, nonce) for `deviceAddr`.
 * @throws SealcamError BIND_SIGNATURE | BIND_DEVICE_MISMATCH | BIND_OWNER_ZERO; TypeError/RangeError on bad arguments.
 */
export function checkBindResponse(
  resp: BindResponse,
  expected: { readonly deviceAddr: Uint8Array; readonly ownerAddr: Uint8Array; readonly nonce: Uint8Array },
): BindRecord {
  abytes(expected.deviceAddr, 'expected.deviceAddr', 20);
  abytes(expected.ownerAddr, 'expected.ownerAddr', 20);
  abytes(expected.nonce, 'expected.nonce', NONCE_LENGTH);
  const rec = resp?.record;
  const f = verifyBindRecord(rec);
  if (f !== null) raise(f.code === 'BIND_OWNER_ZERO' ? f : { ...f, code: 'BIND_SIGNATURE' });
  if (!equalBytes(rawAddress(rec.devicePublicKey), expected.deviceAddr)) err('BIND_DEVICE_MISMATCH', 'bind record signed by another device');
  if (!equalBytes(rec.ownerAddr, expected.ownerAddr) || !equalBytes(rec.nonce, expected.nonce)) {
    err('BIND_SIGNATURE', 'bind record is for another owner or nonce');
  }
  return rec;
}
