/**
 * A peer's answers to a device's messages (docs/PROTOCOL.md "The exchange"),
 * the same for every peer that takes a device's captures — a storage server
 * or the owner's receiver — and for every way they arrive (a session over a
 * Connection, src/peer/session.ts, or one MQTT publish at a time,
 * src/server/mqtt-service.ts): HELLO with the peer's id and address, REG →
 * REG_ACK or ERROR with the reason, BLOCK → the ACK signed over
 * "sealcam/block-ack/v1", AUTH_CHALLENGE → AUTH signed over
 * "sealcam/lan-auth/v1". What a block or a registration is worth is the
 * peer's own judgement ({@link PeerJudge}); how it is answered is here, once.
 */
import type { Suite } from '../crypto/ecdsa.js';
import { ecdsaSign } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { HEADER_OFFSETS } from '../dstp/header.js';
import { equalBytes } from '../platform/bytes.js';
import { signBlockAck } from '../protocol/block-ack.js';
import { peerAuthMessage } from '../protocol/peer-auth.js';
import { AckStatus, PROTOCOL_VERSION, type AuthChallengeMessage, type BlockMessage, type Message, type Role } from '../transport/messages.js';

/** Who the peer is: what it says in HELLO and signs ACKs, REG_ACKs and AUTH with. */
export interface PeerIdentity {
  /** Its destination id in the device's outbox. */
  readonly id: string;
  readonly role: Role;
  readonly suite: Suite;
  readonly secret: Uint8Array;
  /** 65-byte uncompressed public key. */
  readonly publicKey: Uint8Array;
  /** DSTP address (20 bytes). */
  readonly address: Uint8Array;
}

/** The device at the other end, and how to send it a message. */
export interface DevicePeer {
  /** From its HELLO (sessions) or its topic (MQTT). */
  readonly device: Uint8Array;
  readonly deviceHex: string;
  /** Sends one message to the device. @throws (rejects) TransportError */
  send(m: Message): Promise<void>;
}

/** The peer's verdict on one block. */
export interface BlockVerdict {
  readonly status: AckStatus;
  /** '' for STORED and DUPLICATE. */
  readonly reason: string;
  readonly headerDigest: Uint8Array;
  readonly seq: bigint;
  /** Runs once the ACK is handed to the transport (the receiver completes a capture here). */
  readonly after?: () => Promise<void>;
}

/** The peer's verdict on one registration: the signed ack record, or the reason. */
export type RegVerdict =
  | { readonly ok: true; readonly ack: Uint8Array }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** What a peer judges by its own rules (each counts and logs its verdicts). */
export interface PeerJudge {
  /**
   * Judges one block of `peer.device` (the header's device is the session's: checked before) and,
   * when valid and new, stores it durably. The synchronous verification runs before the returned
   * promise's first await, so a session may pipeline blocks. Never rejects for hostile bytes.
   */
  block(peer: DevicePeer, msg: BlockMessage): Promise<BlockVerdict>;
  /** Counts (and logs, emits) every block verdict, including the ones given before judgement. */
  answered(peer: DevicePeer, msg: BlockMessage, v: BlockVerdict): void;
  /** Judges, stores and acknowledges one REG payload of `peer.device`. Never rejects for hostile bytes. */
  register(peer: DevicePeer, payload: Uint8Array): Promise<RegVerdict>;
}

/** An ERROR message with a code and text the codec accepts. */
export function errorMessage(code: string, message: string): Message {
  return { type: 'error', code: code.replace(/[^A-Za-z0-9._:@-]/g, '_').slice(0, 64) || 'ERROR', message: message.slice(0, 512) };
}

/** The peer's HELLO. */
export function helloMessage(id: PeerIdentity, maxFrameBytes: number): Message {
  return { type: 'hello', protocol: PROTOCOL_VERSION, role: id.role, addr: id.address, maxFrameBytes: Math.max(1024, Math.min(maxFrameBytes, 0xffffffff)), id: id.id };
}

/** The ACK of one block, signed over "sealcam/block-ack/v1" (docs/PROTOCOL.md step 4). */
export function signedAck(id: PeerIdentity, device: Uint8Array, msg: BlockMessage, v: Pick<BlockVerdict, 'status' | 'reason' | 'headerDigest' | 'seq'>): Message {
  const signature = signBlockAck(id.suite, id.secret, { signerAddr: id.address, deviceAddr: device, headerDigest: v.headerDigest, index: msg.index, status: v.status });
  return { type: 'ack', dest: id.id, seq: v.seq, index: msg.index, status: v.status, reason: v.reason, signature };
}

/** The capture seq of a decoded (hence 226-byte) header. */
export function headerSeq(header: Uint8Array): bigint {
  return Buffer.from(header.buffer, header.byteOffset + HEADER_OFFSETS.seq, 8).readBigUInt64BE();
}

/**
 * Judges one block and returns its signed ACK (and what to run once it is sent). A header naming
 * another device than the peer's is REJECTED with DEVICE_MISMATCH before any judgement.
 */
export async function answerBlock(id: PeerIdentity, judge: PeerJudge, peer: DevicePeer, msg: BlockMessage): Promise<{ ack: Message; after?: () => Promise<void> }> {
  const h = msg.header;
  const v = equalBytes(h.subarray(HEADER_OFFSETS.deviceAddr, HEADER_OFFSETS.deviceAddr + 20), peer.device)
    ? await judge.block(peer, msg)
    : { status: AckStatus.REJECTED, reason: 'DEVICE_MISMATCH', headerDigest: sha256(h), seq: headerSeq(h) };
  judge.answered(peer, msg, v);
  return { ack: signedAck(id, peer.device, msg, v), ...(v.after ? { after: v.after } : {}) };
}

/** Judges one registration and returns REG_ACK, or ERROR with the REG_* reason. */
export async function answerReg(judge: PeerJudge, peer: DevicePeer, payload: Uint8Array): Promise<Message> {
  const r = await judge.register(peer, payload);
  return r.ok ? { type: 'reg-ack', payload: r.ack } : errorMessage(r.reason, r.message);
}

/** AUTH: proof that the peer holds the key the device knows it by (src/protocol/peer-auth.ts, link 'lan'). */
export function answerAuth(id: PeerIdentity, peer: DevicePeer, msg: AuthChallengeMessage): Message {
  const m = peerAuthMessage('lan', peer.device, msg.challenge, msg.sessionId);
  return { type: 'auth', suite: id.suite, publicKey: id.publicKey, signature: ecdsaSign(id.suite, id.secret, m) };
}
