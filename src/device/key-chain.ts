/**
 * The device's keyId chain (SCHEME.md §7: each registration names the
 * previous keyId), kept in the keystore's public metadata. Pure helpers over
 * immutable KeyMeta values.
 */
import { MAX_CHAIN_ENTRIES, type KeyChainEntry, type KeyMeta } from '../keystore/keystore.js';
import { equalBytes } from '../platform/bytes.js';

/** prevKeyId of the first cycle. */
export const ZERO_KEY_ID = new Uint8Array(32);

/** The last keyId of the chain (the prevKeyId of a new cycle), zeros when empty. */
export function lastKeyId(meta: KeyMeta): Uint8Array {
  const last = meta.chain[meta.chain.length - 1];
  return last ? last.keyId : ZERO_KEY_ID;
}

/** The entry for keyId, if any. */
export function findEntry(meta: KeyMeta, keyId: Uint8Array): KeyChainEntry | undefined {
  return meta.chain.find((e) => equalBytes(e.keyId, keyId));
}

/** Appends (or replaces, same keyId) an entry, dropping the oldest beyond MAX_CHAIN_ENTRIES. */
export function withEntry(meta: KeyMeta, entry: KeyChainEntry): KeyMeta {
  const chain = meta.chain.filter((e) => !equalBytes(e.keyId, entry.keyId));
  chain.push(entry);
  return { chain: chain.slice(-MAX_CHAIN_ENTRIES) };
}

/** Marks keyId registered (no-op if absent). */
export function withRegistered(meta: KeyMeta, keyId: Uint8Array): KeyMeta {
  return { chain: meta.chain.map((e) => (equalBytes(e.keyId, keyId) ? { ...e, registered: true } : e)) };
}

/** Entries still to register whose cycle has not ended at `now`, oldest first. */
export function pendingRegistrations(meta: KeyMeta, now: bigint): KeyChainEntry[] {
  return meta.chain.filter((e) => !e.registered && e.end > now);
}
