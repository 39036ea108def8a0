/**
 * The storage server over MQTT (docs/MQTT.md "Storage servers"): every
 * publish a device makes is answered on its own, on the device's `acks` topic
 * — no session, no order. The device is the one of the topic: a HELLO must
 * name it (DEVICE_MISMATCH otherwise), a REG registers for it, a BLOCK is
 * verified against its registered keys (the verifier checks the header's
 * device). Repeats are harmless: a block already stored is answered
 * DUPLICATE, a registration again REG_ACK. The transport holds each publish's
 * bytes in its one budget until its answer is handed over; a message that did
 * not fit is counted (SERVER_BUSY) and, for a BLOCK, answered RETRY_LATER so
 * the device backs off and re-sends (a REG gets ERROR SERVER_BUSY). A malformed message is counted and, when decodable, answered with
 * ERROR. Never throws.
 */
import { equalBytes } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { answerBlock, answerReg, errorMessage, headerSeq, helloMessage, signedAck, type DevicePeer } from '../peer/answers.js';
import { sha256 } from '../crypto/hash.js';
import { AckStatus, decodeMessage, encodeMessage, Role, type Message } from '../transport/messages.js';
import type { IncomingFrame, MqttIntake } from '../transport/mqtt/intake.js';
import type { MqttTransport } from '../transport/mqtt/mqtt-transport.js';
import type { ServerReason } from './errors.js';
import { serverGreeting, serverJudge, serverPeerIdentity, type ServerPeerDeps } from './peer.js';

/**
 * Serves the devices of `transport` (its serverId) with the peer's answers (src/peer/answers.ts).
 * @throws (rejects) TransportError LISTEN_FAILED when the subscription fails.
 */
export function serveMqtt(transport: MqttTransport, c: ServerPeerDeps): Promise<MqttIntake> {
  const peerOf = (m: IncomingFrame): DevicePeer => ({ device: m.deviceAddr, deviceHex: m.deviceHex, send: (msg: Message) => m.reply(encodeMessage(msg)) });
  const id = serverPeerIdentity(c.serverId, c.identity);
  const judge = serverJudge(c);
  return transport.serve({
    onFrame: (m) => answer(peerOf(m), c, m, transport.maxFrameBytes),
    onBusy: (m) => {
      const peer = peerOf(m);
      let msg: Message;
      try {
        msg = decodeMessage(m.frame);
      } catch {
        return;
      }
      if (msg.type === 'block') {
        // a signed RETRY_LATER: the device backs off and sends it again
        const v = { status: AckStatus.RETRY_LATER, reason: 'SERVER_BUSY', headerDigest: sha256(msg.header), seq: headerSeq(msg.header) };
        judge.answered(peer, msg, v);
        void peer.send(signedAck(id, peer.device, msg, v)).catch(() => undefined);
        return;
      }
      c.stats.reason('SERVER_BUSY', false);
      if (msg.type === 'reg') void peer.send(errorMessage('SERVER_BUSY', 'no room for the registration now; send it again later')).catch(() => undefined);
    },
  });

  /** Answers one admitted publish; resolves once the answer is handed to the transport. */
  async function answer(peer: DevicePeer, c: ServerPeerDeps, m: IncomingFrame, maxFrameBytes: number): Promise<void> {
    const log = c.logger;
    const tell = (msg: Message): void => {
      peer.send(msg).catch((e: unknown) => log.debug({ device: peer.deviceHex, err: (e as Error).message }, 'server: answer not sent'));
    };
    let msg: Message;
    try {
      msg = decodeMessage(m.frame);
    } catch (e) {
      const reason = isSealcamError(e) ? (e.code as ServerReason) : 'INTERNAL';
      c.stats.reason(reason);
      log.debug({ device: peer.deviceHex, reason, err: (e as Error).message }, 'server: malformed message');
      tell(errorMessage(reason, (e as Error).message));
      return;
    }
    try {
      switch (msg.type) {
        case 'block':
          tell((await answerBlock(id, judge, peer, msg)).ack);
          return;
        case 'reg':
          tell(await answerReg(judge, peer, msg.payload));
          return;
        case 'hello': {
          const reason: ServerReason | null = msg.role !== Role.DEVICE ? 'BAD_ROLE' : !equalBytes(msg.addr, peer.device) ? 'DEVICE_MISMATCH' : null;
          if (reason === null) {
            for (const g of [helloMessage(id, maxFrameBytes), ...serverGreeting(c)]) await peer.send(g);
            return;
          }
          c.stats.reason(reason);
          tell(errorMessage(reason, 'the HELLO must come from the device of the topic'));
          return;
        }
        case 'error':
          log.info({ device: peer.deviceHex, code: msg.code, message: msg.message }, 'server: device reported an error');
          return;
        default:
          c.stats.reason('UNEXPECTED_MESSAGE');
          tell(errorMessage('UNEXPECTED_MESSAGE', `a storage server does not take ${msg.type}`));
      }
    } catch (e) {
      c.stats.reason('INTERNAL', false);
      log.error({ device: peer.deviceHex, err: (e as Error).message }, 'server: message handling failed');
    }
  }
}
