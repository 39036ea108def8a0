/**
 * Wire messages between device, receivers and storage servers, as
 * {@link Frame}s: `kind` is the {@link MessageKind}, the payload is
 * `u8 version (=1) || body`. Every length is exact; decoders reject unknown
 * kinds (MSG_UNKNOWN_TYPE; the BLE-layer kinds 0xB0–0xBF with MSG_BLE_LAYER), versions (MSG_VERSION), short bodies
 * (MSG_TRUNCATED), trailing bytes (MSG_TRAILING), out-of-range values
 * (MSG_RANGE) and bad text (MSG_ENCODING). Signed-block fields are opaque
 * here: their meaning and verification live in dstp/ (SCHEME.md §6–7).
 *
 * Bodies (big-endian):
 * - HELLO:   u16 protocol ≥ 1 | u8 role 1..3 | addr(20) | u32 maxFrameBytes ≥ 1024 | id (u8 len 0..64)
 * - BLOCK:   header(226) | headerSignature(64) | u16 index ≥ 1 | u64 off | u32 len ≥ 1
 *            | u8 nProof ≤ 8 | nProof × (u8 side 0=left 1=right | hash(32))
 *            | u16 fsSigLen ≥ 1 | fsSignature | u32 dataLen ∈ {0, len} | data
 * - ACK:     dest (u8 len 1..64) | u64 seq | u16 index ≥ 1 | u8 status 1..5
 *            | reason (u8 len 0..64) | u8 sigLen ∈ {0, 64} | signature
 * - REG, REG_ACK, STATUS: opaque bytes (the rest of the payload)
 * - ERROR:   code (u8 len 1..64) | u16 msgLen ≤ 1024 | UTF-8 message
 * - AUTH_CHALLENGE: challenge(32) | sessionId(16)          (device → receiver, src/protocol/peer-auth.ts)
 * - AUTH:    u8 suite 1..2 | publicKey(65) | signature(64)  (receiver → device)
 * - C2PA:    u64 seq | u32 storeLen 1..MAX_C2PA_STORE_BYTES | store   (device → receiver: the capture's
 *            signed C2PA manifest store, JUMBF, built at capture time; docs/C2PA.md, docs/PROTOCOL.md)
 * Ids/codes/reasons use the alphabet `[A-Za-z0-9._:@-]`.
 * Pure: no I/O.
 */
import { abigint, abytes, aint, U64_MAX } from '../platform/bytes.js';
import { fail, utf8Bytes, WireReader, WireWriter, WIRE_ID_RE } from './wire.js';
import type { Frame } from './transport.js';

/** Message codec version carried in every payload's first byte. */
export const MESSAGE_VERSION = 1;
/** Session protocol version advertised in HELLO. */
export const PROTOCOL_VERSION = 1;

/**
 * Frame kinds of the codec's messages (0 is the link keep-alive). Kinds
 * 0xB0–0xBF ({@link BLE_LAYER_KINDS}) are reserved for BLE-layer messages that
 * travel only on BLE sessions and have their own codecs, e.g. PREVIEW = 0xB0
 * (src/transport/ble/preview.ts); decodeMessage refuses them with
 * MSG_BLE_LAYER so receivers can route them to the BLE layer.
 */
export const MessageKind = { HELLO: 1, BLOCK: 2, ACK: 3, REG: 4, REG_ACK: 5, STATUS: 6, ERROR: 7, AUTH_CHALLENGE: 8, AUTH: 9, C2PA: 10 } as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** The frame kinds reserved for BLE-layer messages (docs/BLE.md §9): 0xB0..0xBF inclusive. */
export const BLE_LAYER_KINDS = { min: 0xb0, max: 0xbf } as const;

/** True when `kind` is reserved for a BLE-layer message (decode it with src/transport/ble, not here). */
export function isBleLayerKind(kind: number): boolean {
  return kind >= BLE_LAYER_KINDS.min && kind <= BLE_LAYER_KINDS.max;
}

/** Who speaks in a HELLO. */
export const Role = { DEVICE: 1, RECEIVER: 2, SERVER: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** ACK outcomes: STORED/DUPLICATE count as delivered; the others do not. */
export const AckStatus = { STORED: 1, DUPLICATE: 2, REJECTED: 3, RETRY_LATER: 4, NOT_REGISTERED: 5 } as const;
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];

/** True when the status means the peer durably holds the block. */
export function isDelivered(status: AckStatus): boolean {
  return status === AckStatus.STORED || status === AckStatus.DUPLICATE;
}

export const HEADER_BYTES = 226;
export const SIGNATURE_BYTES = 64;
export const MAX_PROOF_STEPS = 8;
export const MAX_ERROR_MESSAGE_BYTES = 1024;
/** Largest C2PA manifest store a C2PA message may carry (a capture's store is ≈ 7 KiB plus ≈ 1 KiB per block). */
export const MAX_C2PA_STORE_BYTES = 256 * 1024;

/**
 * The DSTP header inside an encoded BLOCK message's payload (a view, no copy):
 * the sender reads it from the bytes it is about to send instead of decoding them.
 * @throws SealcamError MSG_TRUNCATED when the payload is shorter than version + header.
 */
export function blockPayloadHeader(payload: Uint8Array): Uint8Array {
  if (payload.length < 1 + HEADER_BYTES) fail('MSG_TRUNCATED', 'BLOCK payload shorter than its header');
  return payload.subarray(1, 1 + HEADER_BYTES);
}

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  role: Role;
  /** DSTP address (20 bytes) of the speaker; zeros if it has none. */
  addr: Uint8Array;
  /** Largest frame the speaker accepts. */
  maxFrameBytes: number;
  /** Destination id the speaker is known by in outboxes ('' if none). */
  id: string;
}

export interface ProofStep {
  side: 'left' | 'right';
  hash: Uint8Array;
}

export interface BlockMessage {
  type: 'block';
  header: Uint8Array;
  headerSignature: Uint8Array;
  index: number;
  off: bigint;
  len: number;
  proof: ProofStep[];
  fsSignature: Uint8Array;
  /** The block bytes (length `len`), or empty when only the signature travels. */
  data: Uint8Array;
}

export interface AckMessage {
  type: 'ack';
  dest: string;
  seq: bigint;
  index: number;
  status: AckStatus;
  /** Reject/retry reason code ('' if none), e.g. 'FS_SEQ_MISMATCH'. */
  reason: string;
  /** Optional 64-byte ECDSA signature of the ack by the storage server. */
  signature?: Uint8Array;
}

export interface OpaqueMessage {
  type: 'reg' | 'reg-ack' | 'status';
  payload: Uint8Array;
}

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

/** The device's challenge to a receiver before anything is streamed (src/protocol/peer-auth.ts). */
export interface AuthChallengeMessage {
  type: 'auth-challenge';
  challenge: Uint8Array;
  sessionId: Uint8Array;
}

/** The receiver's proof: its key and its signature over the challenge. */
export interface AuthMessage {
  type: 'auth';
  suite: 1 | 2;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** A capture's signed C2PA manifest store (device → receiver), to be embedded into the reassembled JPEG. */
export interface C2paMessage {
  type: 'c2pa';
  seq: bigint;
  /** The JUMBF manifest store (1..MAX_C2PA_STORE_BYTES bytes), unverified as received. */
  store: Uint8Array;
}

export type Message = HelloMessage | BlockMessage | AckMessage | OpaqueMessage | ErrorMessage | AuthChallengeMessage | AuthMessage | C2paMessage;

const OPAQUE_KIND = { reg: MessageKind.REG, 'reg-ack': MessageKind.REG_ACK, status: MessageKind.STATUS } as const;

function aid(v: unknown, name: string, allowEmpty: boolean): string {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  if (!(allowEmpty && v === '') && !WIRE_ID_RE.test(v)) throw new RangeError(`${name} must match ${WIRE_ID_RE}`);
  return v;
}

/**
 * Encodes a message as a frame.
 * @throws TypeError/RangeError naming the offending field.
 */
export function encodeMessage(msg: Message): Frame {
  const w = new WireWriter().u8(MESSAGE_VERSION);
  switch (msg.type) {
    case 'hello':
      w.u16(aint(msg.protocol, 'protocol', 1, 0xffff)).u8(aint(msg.role, 'role', 1, 3));
      w.bytes(abytes(msg.addr, 'addr', 20)).u32(aint(msg.maxFrameBytes, 'maxFrameBytes', 1024, 0xffffffff));
      w.id(aid(msg.id, 'id', true));
      return { kind: MessageKind.HELLO, payload: w.finish() };
    case 'block': {
      w.bytes(abytes(msg.header, 'header', HEADER_BYTES)).bytes(abytes(msg.headerSignature, 'headerSignature', SIGNATURE_BYTES));
      w.u16(aint(msg.index, 'index', 1, 0xffff)).u64(abigint(msg.off, 'off', 0n, U64_MAX)).u32(aint(msg.len, 'len', 1, 0xffffffff));
      if (!Array.isArray(msg.proof)) throw new TypeError('proof must be an array');
      aint(msg.proof.length, 'proof.length', 0, MAX_PROOF_STEPS);
      w.u8(msg.proof.length);
      for (const [k, s] of msg.proof.entries()) {
        if (s.side !== 'left' && s.side !== 'right') throw new RangeError(`proof[${k}].side must be 'left' or 'right'`);
        w.u8(s.side === 'left' ? 0 : 1).bytes(abytes(s.hash, `proof[${k}].hash`, 32));
      }
      abytes(msg.fsSignature, 'fsSignature');
      aint(msg.fsSignature.length, 'fsSignature.length', 1, 0xffff);
      w.u16(msg.fsSignature.length).bytes(msg.fsSignature);
      abytes(msg.data, 'data', 0, msg.len);
      w.u32(msg.data.length).bytes(msg.data);
      return { kind: MessageKind.BLOCK, payload: w.finish() };
    }
    case 'ack':
      w.id(aid(msg.dest, 'dest', false)).u64(abigint(msg.seq, 'seq', 0n, U64_MAX)).u16(aint(msg.index, 'index', 1, 0xffff));
      w.u8(aint(msg.status, 'status', 1, 5)).id(aid(msg.reason, 'reason', true));
      if (msg.signature === undefined) w.u8(0);
      else w.u8(SIGNATURE_BYTES).bytes(abytes(msg.signature, 'signature', SIGNATURE_BYTES));
      return { kind: MessageKind.ACK, payload: w.finish() };
    case 'reg':
    case 'reg-ack':
    case 'status':
      w.bytes(abytes(msg.payload, 'payload'));
      return { kind: OPAQUE_KIND[msg.type], payload: w.finish() };
    case 'auth-challenge':
      w.bytes(abytes(msg.challenge, 'challenge', 32)).bytes(abytes(msg.sessionId, 'sessionId', 16));
      return { kind: MessageKind.AUTH_CHALLENGE, payload: w.finish() };
    case 'auth':
      w.u8(aint(msg.suite, 'suite', 1, 2)).bytes(abytes(msg.publicKey, 'publicKey', 65)).bytes(abytes(msg.signature, 'signature', SIGNATURE_BYTES));
      return { kind: MessageKind.AUTH, payload: w.finish() };
    case 'c2pa':
      abytes(msg.store, 'store');
      aint(msg.store.length, 'store.length', 1, MAX_C2PA_STORE_BYTES);
      w.u64(abigint(msg.seq, 'seq', 0n, U64_MAX)).u32(msg.store.length).bytes(msg.store);
      return { kind: MessageKind.C2PA, payload: w.finish() };
    case 'error': {
      if (typeof msg.message !== 'string') throw new TypeError('message must be a string');
      const text = utf8Bytes(msg.message);
      aint(text.length, 'message (UTF-8 bytes)', 0, MAX_ERROR_MESSAGE_BYTES);
      w.id(aid(msg.code, 'code', false)).u16(text.length).bytes(text);
      return { kind: MessageKind.ERROR, payload: w.finish() };
    }
    default:
      throw new TypeError(`unknown message type ${String((msg as { type?: unknown }).type)}`);
  }
}

/**
 * Decodes a received frame. Byte fields are views into the frame's payload.
 * @throws TransportError MSG_BLE_LAYER (kinds 0xB0–0xBF), MSG_UNKNOWN_TYPE, MSG_VERSION, MSG_TRUNCATED,
 *   MSG_TRAILING, MSG_RANGE, MSG_ENCODING.
 */
export function decodeMessage(frame: Frame): Message {
  const r = new WireReader(frame.payload);
  const kind = frame.kind;
  if (isBleLayerKind(kind)) fail('MSG_BLE_LAYER', `message kind 0x${kind.toString(16)} is a BLE-layer message`);
  if (kind < MessageKind.HELLO || kind > MessageKind.C2PA) fail('MSG_UNKNOWN_TYPE', `unknown message kind ${kind}`);
  const version = r.u8('version');
  if (version !== MESSAGE_VERSION) fail('MSG_VERSION', `message version ${version}, expected ${MESSAGE_VERSION}`);
  let msg: Message;
  switch (kind) {
    case MessageKind.HELLO: {
      const protocol = r.range(r.u16('protocol'), 1, 0xffff, 'protocol');
      const role = r.range(r.u8('role'), 1, 3, 'role') as Role;
      const addr = r.bytes(20, 'addr');
      const maxFrameBytes = r.range(r.u32('maxFrameBytes'), 1024, 0xffffffff, 'maxFrameBytes');
      msg = { type: 'hello', protocol, role, addr, maxFrameBytes, id: r.id('id', true) };
      break;
    }
    case MessageKind.BLOCK:
      msg = decodeBlock(r);
      break;
    case MessageKind.ACK: {
      const dest = r.id('dest');
      const seq = r.u64('seq');
      const index = r.range(r.u16('index'), 1, 0xffff, 'index');
      const status = r.range(r.u8('status'), 1, 5, 'status') as AckStatus;
      const reason = r.id('reason', true);
      const sigLen = r.u8('signature length');
      if (sigLen !== 0 && sigLen !== SIGNATURE_BYTES) fail('MSG_RANGE', `signature length ${sigLen} not 0 or 64`);
      const ack: AckMessage = { type: 'ack', dest, seq, index, status, reason };
      if (sigLen) ack.signature = r.bytes(sigLen, 'signature');
      msg = ack;
      break;
    }
    case MessageKind.REG:
      msg = { type: 'reg', payload: r.rest() };
      break;
    case MessageKind.REG_ACK:
      msg = { type: 'reg-ack', payload: r.rest() };
      break;
    case MessageKind.STATUS:
      msg = { type: 'status', payload: r.rest() };
      break;
    case MessageKind.AUTH_CHALLENGE:
      msg = { type: 'auth-challenge', challenge: r.bytes(32, 'challenge'), sessionId: r.bytes(16, 'sessionId') };
      break;
    case MessageKind.AUTH:
      msg = { type: 'auth', suite: r.range(r.u8('suite'), 1, 2, 'suite') as 1 | 2, publicKey: r.bytes(65, 'publicKey'), signature: r.bytes(SIGNATURE_BYTES, 'signature') };
      break;
    case MessageKind.C2PA: {
      const seq = r.u64('seq');
      const n = r.range(r.u32('store length'), 1, MAX_C2PA_STORE_BYTES, 'store length');
      msg = { type: 'c2pa', seq, store: r.bytes(n, 'store') };
      break;
    }
    default: {
      const code = r.id('code');
      const n = r.range(r.u16('message length'), 0, MAX_ERROR_MESSAGE_BYTES, 'message length');
      msg = { type: 'error', code, message: r.text(n, 'message') };
    }
  }
  r.end(msg.type);
  return msg;
}

function decodeBlock(r: WireReader): BlockMessage {
  const header = r.bytes(HEADER_BYTES, 'header');
  const headerSignature = r.bytes(SIGNATURE_BYTES, 'headerSignature');
  const index = r.range(r.u16('index'), 1, 0xffff, 'index');
  const off = r.u64('off');
  const len = r.range(r.u32('len'), 1, 0xffffffff, 'len');
  const n = r.range(r.u8('proof length'), 0, MAX_PROOF_STEPS, 'proof length');
  const proof: ProofStep[] = [];
  for (let k = 0; k < n; k++) {
    const side = r.range(r.u8('proof side'), 0, 1, 'proof side');
    proof.push({ side: side === 0 ? 'left' : 'right', hash: r.bytes(32, 'proof hash') });
  }
  const sigLen = r.range(r.u16('fsSignature length'), 1, 0xffff, 'fsSignature length');
  const fsSignature = r.bytes(sigLen, 'fsSignature');
  const dataLen = r.u32('data length');
  if (dataLen !== 0 && dataLen !== len) fail('MSG_RANGE', `data length ${dataLen} is neither 0 nor len ${len}`);
  const data = r.bytes(dataLen, 'data');
  return { type: 'block', header, headerSignature, index, off, len, proof, fsSignature, data };
}
