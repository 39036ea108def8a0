/**
 * Outbox destinations of the device (docs/notes SESSION-PROTOCOL step 3):
 * the configured storage servers (mqtt.servers), the configured receivers
 * (receivers) and the bound owner's phone (id 'owner'), each with the rule
 * that says which ECDSA key may speak for it (no server camouflage).
 */
import { addressOf, ecdsaCheckPublicKey, isSuite, publicKeyProblem, type Suite } from '../../crypto/ecdsa.js';
import { equalBytes, fromHex } from '../../platform/bytes.js';
import type { DeviceIdentity } from '../identity/identity.js';

/** Destination id of the bound owner's receiver. */
export const OWNER_ID = 'owner';

/** Who a destination is. */
export type DestinationKind = 'server' | 'receiver' | 'owner';

/** One destination and its trust anchor. */
export interface Destination {
  readonly id: string;
  readonly kind: DestinationKind;
  /** Configured key (servers, receivers). */
  readonly key?: { readonly suite: Suite; readonly publicKey: Uint8Array; readonly address: Uint8Array };
  /** The owner's address (kind 'owner'): any valid key with this address speaks for it. */
  readonly ownerAddr?: Uint8Array;
}

/** The config entries read here (mqtt.servers[], receivers[]); unknown shapes are skipped with a problem. */
interface RefLike {
  id?: unknown;
  suite?: unknown;
  publicKey?: unknown;
}

function fromRef(r: RefLike, kind: DestinationKind, where: string, problems: string[]): Destination | null {
  if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(r.id)) {
    problems.push(`${where}.id: must be 1..64 of [A-Za-z0-9_-]`);
    return null;
  }
  const suite = r.suite ?? 1;
  if (!isSuite(suite)) {
    problems.push(`${where}.suite: must be 1 or 2`);
    return null;
  }
  const pub = typeof r.publicKey === 'string' && /^[0-9a-f]{130}$/.test(r.publicKey) ? fromHex(r.publicKey) : null;
  const problem = publicKeyProblem(suite, pub);
  if (problem !== null || pub === null) {
    problems.push(`${where}.publicKey: ${problem}`);
    return null;
  }
  return { id: r.id, kind, key: { suite, publicKey: pub, address: addressOf(suite, pub) } };
}

/**
 * The destinations of a configuration: storage servers (when MQTT is enabled),
 * receivers, and 'owner' when the device is bound (or when there is no other
 * destination). Ids must be unique ('owner' is reserved).
 * @returns the destinations and every problem found (the daemon refuses to start on problems)
 */
export function configuredDestinations(
  cfg: { readonly mqtt?: { readonly enabled?: boolean; readonly servers?: readonly unknown[] }; readonly receivers?: readonly unknown[] },
  identity: Pick<DeviceIdentity, 'ownerAddr' | 'bound'>,
): { destinations: Destination[]; problems: string[] } {
  const problems: string[] = [];
  const out: Destination[] = [];
  const servers = cfg.mqtt?.enabled === true ? (cfg.mqtt.servers ?? []) : [];
  servers.forEach((s, k) => {
    const d = fromRef(s as RefLike, 'server', `mqtt.servers[${k}]`, problems);
    if (d) out.push(d);
  });
  const receivers = Array.isArray(cfg.receivers) ? cfg.receivers : [];
  receivers.forEach((s, k) => {
    const d = fromRef(s as RefLike, 'receiver', `receivers[${k}]`, problems);
    if (d) out.push(d);
  });
  if (out.some((d) => d.id === OWNER_ID)) problems.push(`destination id '${OWNER_ID}' is reserved for the bound owner`);
  const ids = out.map((d) => d.id);
  if (new Set(ids).size !== ids.length) problems.push('mqtt.servers, receivers: destination ids must be unique');
  // The owner is a destination once bound; an unbound device with no other destination keeps its
  // captures for its future owner (nobody can speak for the zero address until then).
  if (identity.bound || out.length === 0) out.push({ id: OWNER_ID, kind: 'owner', ownerAddr: Uint8Array.from(identity.ownerAddr) });
  return { destinations: out, problems };
}

/**
 * Does (suite, publicKey) speak for `dest`? Servers and receivers: exactly the
 * configured key. Owner: a valid key whose address is the bound owner address.
 */
export function speaksFor(dest: Destination, suite: Suite, publicKey: Uint8Array): boolean {
  if (!isSuite(suite) || ecdsaCheckPublicKey(suite, publicKey) !== null) return false;
  if (dest.key) return dest.key.suite === suite && equalBytes(dest.key.publicKey, publicKey);
  if (dest.ownerAddr && !isZero(dest.ownerAddr)) return equalBytes(addressOf(suite, publicKey), dest.ownerAddr);
  return false;
}

/** True for the all-zero (unbound) address. */
export function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}
