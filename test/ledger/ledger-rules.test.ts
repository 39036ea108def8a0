import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { entryFromRecord, GENESIS_HASH, type LedgerEntry } from '../../src/ledger/entry.js';
import { Ledger, MemoryLedgerBackend } from '../../src/ledger/ledger.js';
import { signAckRecord, signSaveHashRecord } from '../../src/ledger/records.js';
import { formatLedgerReport, verifyLedger } from '../../src/ledger/verify.js';
import { b32, identity } from './helpers.js';
import {
  bind, chain, dev1, dev2, factory, history, mfr, owner1, rechain, restart, saveHashes, unbind,
} from './lifecycle.js';

const codes = (records: Parameters<typeof chain>[0], opts = {}): string[] => verifyLedger(chain(records), opts).problems.map((p) => p.code);

test('life-cycle rules each have a code', () => {
  const f1 = factory(dev1);
  const b1 = bind(dev1, owner1, 'n1');
  assert.deepEqual(codes([b1]), ['LEDGER_UNKNOWN_DEVICE']);
  assert.deepEqual(codes([f1, f1]), ['LEDGER_DUPLICATE_FACTORY']);
  assert.deepEqual(codes([f1, b1, bind(dev1, dev2, 'n9')]), ['LEDGER_ALREADY_BOUND']);
  assert.deepEqual(codes([f1, b1, unbind(dev1, owner1, 'n2'), bind(dev1, owner1, 'n1')]), ['BIND_NONCE_REUSED']);
  assert.deepEqual(codes([f1, b1, unbind(dev1, owner1, 'n1')]), ['BIND_NONCE_REUSED']);
  assert.deepEqual(codes([f1, unbind(dev1, owner1, 'n2')]), ['LEDGER_NOT_OWNER']);
  assert.deepEqual(codes([f1, restart(dev1, b32('k1'), b32('k0'))]), []);
  assert.deepEqual(codes([f1, restart(dev1, b32('k1'), b32('k0')), restart(dev1, b32('k1'), b32('k2'))]), ['REG_CHAIN'], 'a cycle restarted twice');
  assert.deepEqual(codes([f1, restart(dev2, b32('k1'), b32('k0'))]), ['LEDGER_UNKNOWN_DEVICE']);
  const [s1, s2] = saveHashes(dev1, owner1, 2);
  assert.deepEqual(codes([f1, b1, s1!, s2!]), []);
  assert.deepEqual(codes([f1, b1, s2!]), ['SAVEHASH_CHAIN']);
  assert.deepEqual(codes([f1, s1!]), ['LEDGER_NOT_OWNER']);
  const wrongHash = signSaveHashRecord({ receiverSuite: 1, receiverSecret: owner1.secret, deviceAddr: dev1.addr, k: 2n, size: s2!.size, root: s2!.root, hash: b32('x') });
  assert.deepEqual(codes([f1, b1, s1!, wrongHash]), ['SAVEHASH_CHAIN']);
  const otherMfr = identity('other-mfr');
  const trusted = { trustedManufacturers: [{ suite: mfr.suite, publicKey: mfr.publicKey }] };
  assert.deepEqual(codes([factory(dev1, otherMfr)], trusted), ['REG_MANUFACTURER_UNTRUSTED']);
  assert.deepEqual(codes([factory(dev1, otherMfr)]), []);
});

test('entries that are not ledger events or are malformed are reported, not thrown', () => {
  const f1 = chain([factory(dev1)])[0]!;
  const ack = signAckRecord({ serverSuite: 1, serverSecret: identity('srv').secret, deviceAddr: dev1.addr, keyId: b32('k'), seenAt: 5n });
  assert.throws(() => entryFromRecord(ack, 0n, GENESIS_HASH), RangeError);
  const asAck: LedgerEntry = { ...f1, type: 4 };
  const asAck2: LedgerEntry = { ...f1, type: 200 };
  const short: LedgerEntry = { ...f1, payload: f1.payload.subarray(1) };
  const badSuite: LedgerEntry = { ...f1, payload: Uint8Array.of(7, ...f1.payload.subarray(1)) };
  const at = (e: LedgerEntry): string[] => verifyLedger(rechain([e])).problems.map((p) => p.code);
  assert.deepEqual(at(asAck), ['LEDGER_TYPE']);
  assert.deepEqual(at(asAck2), ['LEDGER_TYPE']);
  assert.deepEqual(at(short), ['LEDGER_PAYLOAD']);
  assert.deepEqual(at(badSuite), ['LEDGER_PAYLOAD']);
  assert.deepEqual(verifyLedger([{ ...f1, signature: new Uint8Array(3) }]).problems.map((p) => p.code), ['LEDGER_FORMAT']);
  assert.deepEqual(verifyLedger([null as unknown as LedgerEntry]).problems.map((p) => p.code), ['LEDGER_FORMAT']);
  const many = verifyLedger(chain(history()).map((e) => ({ ...e, index: e.index + 5n })), { maxProblems: 1 });
  assert.deepEqual(many.problems.map((p) => p.code), ['LEDGER_INDEX', 'LEDGER_TOO_MANY_PROBLEMS']);
  const report = formatLedgerReport(verifyLedger(rechain([asAck, short])), 'x.ledger');
  assert.match(report, /^x\.ledger: 2 entries/);
  assert.match(report, /FAILED: 2 problems\n {2}#0 LEDGER_TYPE: .*\n {2}#1 LEDGER_PAYLOAD/);
});

test('Ledger writer appends valid records and refuses invalid ones without side effects', async () => {
  const backend = new MemoryLedgerBackend();
  const ledger = await Ledger.open(backend);
  assert.equal(ledger.head, null);
  const recs = history();
  // appends issued concurrently are serialised in call order
  const stored = await Promise.all(recs.map((r) => ledger.append(r)));
  assert.deepEqual(stored, chain(recs));
  assert.equal(ledger.size, recs.length);
  const expectCode = async (p: Promise<unknown>, code: string): Promise<void> => {
    await assert.rejects(p, (e: unknown) => isSealcamError(e, code));
  };
  await expectCode(ledger.append(bind(dev1, owner1, 'again')), 'LEDGER_ALREADY_BOUND');
  await expectCode(ledger.append(factory(dev1)), 'LEDGER_DUPLICATE_FACTORY');
  await expectCode(ledger.append(restart(dev1, b32('key1'), b32('k9'))), 'REG_CHAIN');
  await expectCode(ledger.append({ ...bind(dev2, owner1, 'zz'), signature: new Uint8Array(64).fill(1) }), 'BIND_SIGNATURE');
  assert.equal(backend.entries.length, recs.length);
  assert.equal(verifyLedger(backend.entries).ok, true);
  // reopening replays the history; the next append continues the chain
  const again = await Ledger.open(backend);
  assert.deepEqual(again.head, ledger.head);
  const e = await again.append(unbind(dev2, owner1, 'u1'));
  assert.equal(e.index, BigInt(recs.length));
  assert.equal(verifyLedger(backend.entries).ok, true);
  // a tampered stored history is refused on open
  backend.entries[3] = { ...backend.entries[3]!, signature: backend.entries[2]!.signature };
  await assert.rejects(Ledger.open(backend), (err: unknown) => isSealcamError(err, 'REG_RESTART_SIGNATURE'));
  await assert.rejects(Ledger.open({} as MemoryLedgerBackend), TypeError);
});
