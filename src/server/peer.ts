/**
 * The storage server as a protocol peer (src/peer/): its judgement of blocks
 * (the verifier and the durable store) and registrations (the key-chain
 * registry, one at a time), its counters and logs, and the STATUS it sends
 * after HELLO. The session itself (src/peer/session.ts) and the answers
 * (src/peer/answers.ts) are the same as the receiver's; over MQTT the same
 * answers are given to each publish on its own (mqtt-service.ts).
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { KeyRegistry } from '../peer/key-registry.js';
import type { DevicePeer, PeerIdentity, PeerJudge } from '../peer/answers.js';
import type { SessionPeer } from '../peer/session.js';
import { Role, type Message } from '../transport/messages.js';
import type { ServerReason } from './errors.js';
import type { ServerIdentity } from './server-key.js';
import type { ServerStats } from './stats.js';
import type { BlockVerifier } from './verifier.js';

/** Everything the server's peer needs. */
export interface ServerPeerDeps {
  readonly serverId: string;
  readonly identity: ServerIdentity;
  readonly verifier: BlockVerifier;
  readonly registry: KeyRegistry;
  readonly stats: ServerStats;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly helloTimeoutMs: number;
  readonly maxInflight: number;
  readonly maxViolations: number;
  /** The latest signed STATUS, if any. */
  readonly status: () => Uint8Array | undefined;
  /** Serialises registrations (the chain check reads, then writes, the device's chain). */
  readonly serialize: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** The server's identity as a peer. */
export function serverPeerIdentity(serverId: string, id: ServerIdentity): PeerIdentity {
  return { id: serverId, role: Role.SERVER, suite: id.suite, secret: id.secret, publicKey: id.publicKey, address: id.address };
}

/** The server's judgement (stateless: one for every session and every MQTT publish). */
export function serverJudge(d: ServerPeerDeps): PeerJudge {
  return {
    block: (peer: DevicePeer, msg) => d.verifier.handle(peer.deviceHex, msg),
    answered: (_peer, _msg, v) => d.stats.block(v.status, v.reason as ServerReason | ''),
    async register(peer, payload) {
      const r = await d.serialize(() => d.registry.register(payload, d.clock.now(), peer.device));
      if (r.ok) {
        if (r.added > 0) d.stats.registrations += 1;
        else d.stats.registrationsRepeated += 1;
        d.logger.info({ device: peer.deviceHex, keyId: r.keyIdHex, added: r.added }, 'server: key chain registered');
        return { ok: true, ack: r.ack };
      }
      d.stats.reason(r.reason);
      d.logger.info({ device: peer.deviceHex, reason: r.reason, message: r.message }, 'server: registration refused');
      return { ok: false, reason: r.reason, message: r.message };
    },
  };
}

/** The messages the server sends after its HELLO: the latest STATUS, if any. */
export function serverGreeting(d: ServerPeerDeps): Message[] {
  const st = d.status();
  return st === undefined ? [] : [{ type: 'status', payload: st }];
}

/** The server as a session peer (TCP, loopback). */
export function serverPeer(d: ServerPeerDeps): SessionPeer {
  const judge = serverJudge(d);
  return {
    identity: serverPeerIdentity(d.serverId, d.identity), clock: d.clock, logger: d.logger,
    helloTimeoutMs: d.helloTimeoutMs, maxInflight: d.maxInflight, maxViolations: d.maxViolations,
    greeting: () => serverGreeting(d),
    violation: (code, message) => {
      d.stats.reason(code as ServerReason, code !== 'INTERNAL');
      d.logger.debug({ reason: code, message }, 'server: protocol violation');
    },
    open: () => {
      d.stats.sessionsOpen += 1;
      d.stats.sessionsTotal += 1;
      return { ...judge, closed: () => void (d.stats.sessionsOpen -= 1) };
    },
  };
}
