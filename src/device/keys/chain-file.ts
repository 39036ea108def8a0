/**
 * The public copy of the device's key chain, `<stateDir>/keychain.json` (the
 * bundle `chain` form of SCHEME.md Appendix, with every witness
 * acknowledgement the device holds). The keystore's metadata is the source of
 * truth (device/keys/chain.ts); the daemon rewrites this copy atomically whenever the
 * chain changes, so that tools that must not open the keystore — `sealcam
 * export` next to a running daemon — can put the chain into bundles.
 */
import { chainForCapture, type KeyChain } from '../../chain/links.js';
import { chainToJson, readChain } from '../../chain/json.js';
import type { KeyChainEntry } from '../../keystore/keystore.js';
import type { FactoryRecord } from '../../ledger/record-spec.js';
import { equalBytes } from '../../platform/bytes.js';
import { sha256 } from '../../crypto/hash.js';
import { DeviceStateError, readJsonState, STATE_FILES, statePath, writeJsonState } from '../daemon/state-dir.js';

/** The chain of a device: its factory record's maker and proof, and the key cycles. */
export function keyChainOf(factory: FactoryRecord, entries: readonly KeyChainEntry[]): KeyChain {
  return {
    manufacturer: { suite: factory.manufacturerSuite, publicKey: factory.manufacturerPublicKey },
    factory: { firstKeyId: factory.firstKeyId, issuedAt: factory.issuedAt, signature: factory.signature },
    keys: entries.map((e) => ({ publicKey: e.publicKey, link: e.link })),
  };
}

/**
 * The `chain` member of a bundle of a capture in cycle keyId at ts: C₁ … that
 * cycle, each restart with the acknowledgements that precede what it proves.
 * Undefined when keyId is not in the chain, or when a restart on the way has
 * no such acknowledgement (the bundle can then only be integrity: no chain).
 */
export function bundleChain(chain: KeyChain, keyId: Uint8Array, ts: bigint): Record<string, unknown> | undefined {
  const at = chain.keys.findIndex((k) => equalBytes(sha256(k.publicKey), keyId));
  if (at < 0) return undefined;
  const c = chainForCapture({ ...chain, keys: chain.keys.slice(0, at + 1) }, ts);
  if (c.keys.some((k) => k.link?.kind === 'restart' && k.link.acks.length === 0)) return undefined;
  return chainToJson(c);
}

/** Rewrites keychain.json. @throws DeviceStateError STATE_IO */
export async function writeKeychainFile(stateDir: string, factory: FactoryRecord, entries: readonly KeyChainEntry[]): Promise<void> {
  await writeJsonState(statePath(stateDir, STATE_FILES.keychain), chainToJson(keyChainOf(factory, entries)), 0o644);
}

/**
 * Reads keychain.json (null when absent).
 * @throws DeviceStateError STATE_IO | STATE_FORMAT
 */
export async function readKeychainFile(stateDir: string): Promise<KeyChain | null> {
  const path = statePath(stateDir, STATE_FILES.keychain);
  const json = await readJsonState(path);
  if (json === null) return null;
  try {
    return readChain(json, path, true);
  } catch (e) {
    throw new DeviceStateError('STATE_FORMAT', (e as Error).message, { cause: e });
  }
}
