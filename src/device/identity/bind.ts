/**
 * Owner binding on the device (SCHEME.md §7 bind record, docs/DEPLOY.md
 * "Bind"): an owner-signed bind request makes the device sign
 * (ownerAddr, nonce) with its key and save the record as `owner.json`; an
 * owner-signed unbind record from the CURRENT owner clears it. Every nonce is
 * used once: the registry of used nonces is `<stateDir>/nonces.bin`
 * (src/ledger NonceRegistry), written durably BEFORE the binding changes, so
 * a crash can burn a nonce but never accept one twice. Accepted requests and
 * the device's records are kept in `<stateDir>/records/` (life-cycle record
 * JSON; `sealcam verify` checks them).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { handleBindRequest, NonceRegistry } from '../../ledger/bind.js';
import { ZERO_ADDR, rawAddress } from '../../ledger/messages.js';
import { recordFromJson, recordToJson } from '../../ledger/record-codec.js';
import type { BindRecord, BindRequestRecord, UnbindRecord } from '../../ledger/record-spec.js';
import { verifyUnbindRecord } from '../../ledger/records.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { equalBytes, toHex } from '../../platform/bytes.js';
import { isSealcamError, SealcamError } from '../../platform/errors.js';
import { clearOwnerBinding, saveOwnerBinding, type DeviceIdentity } from './identity.js';
import { writeJsonState } from '../daemon/state-dir.js';

/** Error codes of device-side binding (besides src/ledger BindReason codes). */
export type DeviceBindCode =
  | 'BIND_REQUEST_KIND'
  | 'BIND_ALREADY_BOUND'
  | 'BIND_NOT_BOUND'
  | 'BIND_NOT_OWNER'
  | 'BIND_OWNER_PENDING'
  | 'BIND_STATE_IO';

/** A device-side binding refusal. */
export class DeviceBindError extends SealcamError<DeviceBindCode> {}

/** Used-nonce registry file inside the state directory. */
export const NONCES_FILE = 'nonces.bin';
/** Directory of accepted life-cycle records. */
export const RECORDS_DIR = 'records';

/** A parsed owner request. */
export type OwnerRequest =
  | { readonly kind: 'bind'; readonly request: BindRequestRecord }
  | { readonly kind: 'unbind'; readonly record: UnbindRecord };

/** Outcome of {@link applyOwnerRequest}. */
export interface OwnerRequestResult {
  readonly kind: 'bind' | 'unbind';
  /** The device's bind record, or the owner's unbind record. */
  readonly record: BindRecord | UnbindRecord;
  /** Owner address before and after (20 zero bytes = unbound). */
  readonly ownerBefore: Uint8Array;
  readonly ownerAfter: Uint8Array;
  /** Path of the record JSON kept in `<stateDir>/records/`. */
  readonly recordFile: string;
}

/** What {@link applyOwnerRequest} needs from its caller (the daemon, or a command holding the keystore). */
export interface OwnerRequestContext {
  readonly stateDir: string;
  /** The loaded identity (its secret signs the bind record). */
  readonly identity: DeviceIdentity;
  /** Captures still queued for the owner destination (an unbind is refused while > 0 unless forced). */
  ownerPending(): number | Promise<number>;
}

/**
 * Parses a request file's JSON: an owner-signed bind request or an unbind record (src/ledger JSON form).
 * @throws SealcamError RECORD_FORMAT | RECORD_VERSION | RECORD_ADDR_FIELD; DeviceBindError BIND_REQUEST_KIND
 */
export function parseOwnerRequest(json: unknown): OwnerRequest {
  const rec = recordFromJson(json);
  if (rec.kind === 'bind-request') return { kind: 'bind', request: rec };
  if (rec.kind === 'unbind') return { kind: 'unbind', record: rec };
  throw new DeviceBindError('BIND_REQUEST_KIND', `expected a bind-request or unbind record, got ${rec.kind}`);
}

/**
 * Reads the used-nonce registry (empty when absent).
 * @throws DeviceBindError BIND_STATE_IO; SealcamError BIND_NONCE_FORMAT when the file is corrupt
 */
export async function loadNonces(stateDir: string): Promise<NonceRegistry> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(stateDir, NONCES_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new NonceRegistry();
    throw new DeviceBindError('BIND_STATE_IO', `cannot read ${NONCES_FILE}`, { cause: e });
  }
  return NonceRegistry.decode(bytes);
}

/** Writes the registry atomically and durably. @throws DeviceBindError BIND_STATE_IO */
export async function saveNonces(stateDir: string, reg: NonceRegistry): Promise<void> {
  try {
    await writeFileAtomic(join(stateDir, NONCES_FILE), reg.encode(), { mode: 0o600 });
  } catch (e) {
    throw new DeviceBindError('BIND_STATE_IO', `cannot write ${NONCES_FILE}`, { cause: e });
  }
}

async function keepRecord(stateDir: string, name: string, json: Record<string, unknown>): Promise<string> {
  const dir = join(stateDir, RECORDS_DIR);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  await writeJsonState(path, json, 0o644);
  return path;
}

async function bind(ctx: OwnerRequestContext, req: BindRequestRecord): Promise<OwnerRequestResult> {
  const id = ctx.identity;
  const before = Uint8Array.from(id.ownerAddr);
  const nonces = await loadNonces(ctx.stateDir);
  // handleBindRequest checks the owner signature, the device address, the owner address and the nonce.
  const { record } = handleBindRequest({ kind: 'signed', request: req }, id, nonces, { requireOwnerSignature: true });
  if (id.bound && !equalBytes(record.ownerAddr, id.ownerAddr)) {
    throw new DeviceBindError('BIND_ALREADY_BOUND', `the device is bound to ${toHex(id.ownerAddr)}; that owner must unbind it first`);
  }
  await saveNonces(ctx.stateDir, nonces);
  await saveOwnerBinding(ctx.stateDir, id, record);
  const recordFile = await keepRecord(ctx.stateDir, `bind-${toHex(record.nonce).slice(0, 16)}.json`, recordToJson(record));
  return { kind: 'bind', record, ownerBefore: before, ownerAfter: Uint8Array.from(record.ownerAddr), recordFile };
}

async function unbind(ctx: OwnerRequestContext, rec: UnbindRecord, force: boolean): Promise<OwnerRequestResult> {
  const id = ctx.identity;
  const f = verifyUnbindRecord(rec);
  if (f !== null) throw new SealcamError(f.code === 'RECORD_FORMAT' ? 'BIND_NONCE_FORMAT' : 'UNBIND_SIGNATURE', f.message);
  if (!equalBytes(rec.deviceAddr, id.address)) throw new SealcamError('BIND_DEVICE_MISMATCH', 'the unbind record is for another device');
  if (!id.bound) throw new DeviceBindError('BIND_NOT_BOUND', 'the device is not bound');
  if (!equalBytes(rawAddress(rec.ownerPublicKey), id.ownerAddr)) {
    throw new DeviceBindError('BIND_NOT_OWNER', 'the unbind record is not signed by the current owner');
  }
  const nonces = await loadNonces(ctx.stateDir);
  nonces.check(rec.nonce);
  const pending = await ctx.ownerPending();
  if (pending > 0 && !force) {
    throw new DeviceBindError('BIND_OWNER_PENDING',
      `${pending} block(s) are still queued for the owner; let the owner collect them, or force the unbind (they are then dropped)`);
  }
  nonces.use(rec.nonce);
  await saveNonces(ctx.stateDir, nonces);
  const before = Uint8Array.from(id.ownerAddr);
  await clearOwnerBinding(ctx.stateDir);
  const recordFile = await keepRecord(ctx.stateDir, `unbind-${toHex(rec.nonce).slice(0, 16)}.json`, recordToJson(rec));
  return { kind: 'unbind', record: rec, ownerBefore: before, ownerAfter: Uint8Array.from(ZERO_ADDR), recordFile };
}

/**
 * Applies an owner request to the state directory (see the file comment).
 * A bind from the already bound owner (fresh nonce) re-issues the record; a
 * bind from another owner is refused until the current owner unbinds.
 * @throws SealcamError with a src/ledger BindReason (BIND_OWNER_SIGNATURE, BIND_DEVICE_MISMATCH,
 *   BIND_OWNER_ZERO, BIND_NONCE_FORMAT, BIND_NONCE_REUSED, BIND_NONCE_CAPACITY, UNBIND_SIGNATURE);
 *   DeviceBindError BIND_ALREADY_BOUND | BIND_NOT_BOUND | BIND_NOT_OWNER | BIND_OWNER_PENDING | BIND_STATE_IO;
 *   DeviceStateError STATE_IO
 */
export function applyOwnerRequest(ctx: OwnerRequestContext, req: OwnerRequest, opts: { force?: boolean } = {}): Promise<OwnerRequestResult> {
  if (req?.kind === 'bind') return bind(ctx, req.request);
  if (req?.kind === 'unbind') return unbind(ctx, req.record, opts.force === true);
  return Promise.reject(new DeviceBindError('BIND_REQUEST_KIND', 'unknown owner request'));
}

/** The JSON answer for a result or a refusal (what `sealcam bind` prints). */
export function resultJson(r: OwnerRequestResult | unknown): Record<string, unknown> {
  if (typeof r === 'object' && r !== null && 'ownerAfter' in r) {
    const x = r as OwnerRequestResult;
    return {
      ok: true, kind: x.kind, ownerBefore: toHex(x.ownerBefore), ownerAfter: toHex(x.ownerAfter),
      record: recordToJson(x.record), recordFile: x.recordFile,
    };
  }
  const code = isSealcamError(r) ? r.code : 'BIND_FAILED';
  return { ok: false, code, message: (r as Error)?.message ?? String(r) };
}
