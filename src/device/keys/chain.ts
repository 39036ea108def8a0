/**
 * The device's key chain (SCHEME.md §7 v1.1) as kept in the keystore's public
 * metadata: C₁ (pinned by the factory record) then every later cycle with the
 * link that joins it to its predecessor. Pure helpers over immutable KeyMeta
 * values: lookups, the cycle span of an entry (read from its FsPublicKey
 * fields without validating it), appending a cycle, recording a witness
 * acknowledgement of a restart.
 */
import { endorsementTs, MAX_RESTART_ACKS, type ChainAck, type ChainLink } from '../../chain/links.js';
import { sha256 } from '../../crypto/hash.js';
import type { KeyChainEntry, KeyMeta } from '../../keystore/keystore.js';
import { equalBytes } from '../../platform/bytes.js';

/** keyId of an entry: H(FsPublicKey). */
export function entryKeyId(e: KeyChainEntry): Uint8Array {
  return sha256(e.publicKey);
}

/** [t0, end) of an entry's cycle, read from its FsPublicKey fields (SCHEME.md §2 offsets). */
export function entrySpan(e: KeyChainEntry): { t0: bigint; end: bigint } {
  const v = new DataView(e.publicKey.buffer, e.publicKey.byteOffset, e.publicKey.byteLength);
  const t0 = v.getBigUint64(13);
  return { t0, end: t0 + BigInt(v.getUint32(9)) * BigInt(v.getUint32(21)) };
}

/** The last entry's keyId, or null for an empty chain. */
export function lastKeyId(meta: KeyMeta): Uint8Array | null {
  const last = meta.chain[meta.chain.length - 1];
  return last ? entryKeyId(last) : null;
}

/** Index of keyId in the chain, or -1. */
export function indexOf(meta: KeyMeta, keyId: Uint8Array): number {
  return meta.chain.findIndex((e) => equalBytes(entryKeyId(e), keyId));
}

/** True when some cycle of the chain covers ts (its key may be gone). */
export function chainCovers(meta: KeyMeta, ts: bigint): boolean {
  return meta.chain.some((e) => {
    const s = entrySpan(e);
    return s.t0 <= ts && ts < s.end;
  });
}

/** The chain with one more cycle. */
export function withCycle(meta: KeyMeta, publicKey: Uint8Array, link: ChainLink | null): KeyMeta {
  return { chain: [...meta.chain, { publicKey: Uint8Array.from(publicKey), link }] };
}

/**
 * The chain with a witness acknowledgement added to the restart link of keyId
 * (once per witness key; at most MAX_RESTART_ACKS). Returns the same object
 * when nothing changes (no such restart, a repeated witness, the bound).
 */
export function withAck(meta: KeyMeta, keyId: Uint8Array, ack: ChainAck): KeyMeta {
  const at = indexOf(meta, keyId);
  const e = meta.chain[at];
  if (e === undefined || e.link?.kind !== 'restart') return meta;
  const link = e.link;
  if (link.acks.length >= MAX_RESTART_ACKS || link.acks.some((a) => a.suite === ack.suite && equalBytes(a.serverPublicKey, ack.serverPublicKey))) return meta;
  const chain = [...meta.chain];
  chain[at] = { publicKey: e.publicKey, link: { ...link, acks: [...link.acks, ack] } };
  return { chain };
}

/**
 * The earliest time from which the cycle at `index` can count for any
 * verifier, as far as the device knows (SCHEME.md §7): issuedAt for C₁, the
 * endorsement's ts, or for a restart the later of its predecessor's floor and
 * its FIRST witness's seenAt (bundles carry only the acknowledgements that
 * precede what they prove: src/chain/links.ts chainForCapture). Null while a
 * restart has no witness yet. The device never endorses, and never signs,
 * before this time.
 */
export function validFloor(meta: KeyMeta, index: number, issuedAt: bigint): bigint | null {
  let floor: bigint | null = issuedAt;
  for (let j = 1; j <= index && floor !== null; j++) {
    const link = meta.chain[j]?.link;
    if (!link) return null;
    if (link.kind === 'endorse') {
      floor = endorsementTs(link.signature);
    } else if (link.acks.length === 0) {
      floor = null;
    } else {
      const first = link.acks.reduce((m, a) => (a.seenAt < m ? a.seenAt : m), link.acks[0]!.seenAt);
      floor = first > floor ? first : floor;
    }
  }
  return floor;
}
