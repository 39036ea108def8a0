// A complete, valid life-cycle history used by the ledger tests.
import { entryFromRecord, entryHash, GENESIS_HASH, type LedgerEntry } from '../../src/ledger/entry.js';
import {
  signBindRecord, signFactoryRecord, signRestartRecord, signSaveHashRecord, signUnbindRecord,
} from '../../src/ledger/records.js';
import type { LifecycleRecord, SaveHashRecord } from '../../src/ledger/record-spec.js';
import { SaveHashChain } from '../../src/ledger/savehash/savehash.js';
import { b32, identity, type Identity } from './helpers.js';

export const mfr = identity('mfr');
export const dev1 = identity('dev1');
export const dev2 = identity('dev2', 2);
export const owner1 = identity('owner1');
export const owner2 = identity('owner2', 2);
export const ZERO32 = new Uint8Array(32);

export function factory(d: Identity, m: Identity = mfr): LifecycleRecord {
  return signFactoryRecord({
    manufacturerSuite: m.suite, manufacturerSecret: m.secret, deviceSuite: d.suite, devicePublicKey: d.publicKey, firstKeyId: b32(`first/${d.publicKey.join(',')}`), issuedAt: 1_767_225_600_000n,
  });
}
export function bind(d: Identity, o: Identity, nonce: string): LifecycleRecord {
  return signBindRecord({ deviceSuite: d.suite, deviceSecret: d.secret, ownerAddr: o.addr, nonce: b32(nonce) });
}
export function unbind(d: Identity, o: Identity, nonce: string): LifecycleRecord {
  return signUnbindRecord({ ownerSuite: o.suite, ownerSecret: o.secret, deviceAddr: d.addr, nonce: b32(nonce) });
}
export function restart(d: Identity, keyId: Uint8Array, prevKeyId: Uint8Array): LifecycleRecord {
  return signRestartRecord({ deviceSuite: d.suite, deviceSecret: d.secret, keyId, prevKeyId });
}

/** Save-hash records of `batches` batches of one device as kept by `receiver`'s SaveHashChain. */
export function saveHashes(d: Identity, receiver: Identity, batches: number, omega = 4): SaveHashRecord[] {
  const chain = new SaveHashChain(omega);
  const out: SaveHashRecord[] = [];
  for (let i = 0; out.length < batches; i++) {
    const b = chain.add(b32(`pkg/${receiver.suite}/${i}`));
    if (b !== null) {
      out.push(signSaveHashRecord({
        receiverSuite: receiver.suite, receiverSecret: receiver.secret, deviceAddr: d.addr, k: b.k, size: b.size, root: b.root, hash: b.hash,
      }));
    }
  }
  return out;
}

/** The valid history: two devices, binds, chain restarts, save hashes, an unbind and a re-bind. */
export function history(): LifecycleRecord[] {
  const [s1, s2] = saveHashes(dev1, owner1, 2);
  const [t1] = saveHashes(dev1, owner2, 1);
  return [
    factory(dev1), factory(dev2), bind(dev1, owner1, 'n1'), restart(dev1, b32('key1'), b32('key0')),
    s1!, s2!, restart(dev1, b32('key2'), b32('key1')), unbind(dev1, owner1, 'n2'), bind(dev1, owner2, 'n3'), t1!,
    bind(dev2, owner1, 'n1'),
  ];
}

/** Entries for `records`, chained from index 0. */
export function chain(records: readonly LifecycleRecord[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev = GENESIS_HASH;
  records.forEach((r, i) => {
    const e = entryFromRecord(r, BigInt(i), prev);
    out.push(e);
    prev = entryHash(e);
  });
  return out;
}

/** Re-computes index and prevEntryHash of already built entries (isolates non-chain checks). */
export function rechain(entries: readonly LedgerEntry[]): LedgerEntry[] {
  let prev = GENESIS_HASH;
  return entries.map((e, i) => {
    const c = { ...e, index: BigInt(i), prevEntryHash: prev };
    prev = entryHash(c);
    return c;
  });
}
