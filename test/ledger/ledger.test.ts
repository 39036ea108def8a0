import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { decodeEntry, encodeEntry, entryFromRecord, entryHash, type LedgerEntry } from '../../src/ledger/entry.js';
import { formatLedgerReport, verifyLedger } from '../../src/ledger/verify.js';
import { b32, identity } from './helpers.js';
import {
  bind, chain, dev1, dev2, history, mfr, owner1, owner2, rechain, restart, saveHashes, unbind,
} from './lifecycle.js';

const valid = chain(history());
const head = { index: valid[valid.length - 1]!.index, entryHash: entryHash(valid[valid.length - 1]!) };
const codes = (entries: readonly LedgerEntry[], opts = {}): string[] => verifyLedger(entries, opts).problems.map((p) => p.code);

test('a valid history verifies, with counts and head', () => {
  const r = verifyLedger(valid, { trustedManufacturers: [{ suite: mfr.suite, publicKey: mfr.publicKey }], anchors: [head] });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.entries, valid.length);
  assert.deepEqual(r.head, head);
  assert.deepEqual(r.counts, { factory: 2, bind: 3, restart: 2, savehash: 3, unbind: 1 });
  assert.match(formatLedgerReport(r), /11 entries, head #10 [0-9a-f]{64}\n.*\nOK/);
  assert.deepEqual(verifyLedger([]), { ok: true, entries: 0, head: null, counts: {}, problems: [] });
});

test('flipping a byte in any field of any entry is detected', () => {
  for (let i = 0; i < valid.length; i++) {
    const bytes = encodeEntry(valid[i]!);
    const payloadEnd = 45 + valid[i]!.payload.length;
    // index, prevEntryHash, type, payload length, payload first/last, signer suite, signer key, signature r and s
    for (const at of [7, 8, 39, 40, 44, 45, payloadEnd - 1, payloadEnd, payloadEnd + 10, payloadEnd + 70, payloadEnd + 120]) {
      const t = Uint8Array.from(bytes);
      t[at] = t[at]! ^ 0x04;
      let e: LedgerEntry;
      try {
        e = decodeEntry(t);
      } catch (err) {
        assert.ok(isSealcamError(err, 'LEDGER_FORMAT'), String(err));
        continue;
      }
      const r = verifyLedger(valid.map((x, j) => (j === i ? e : x)));
      assert.equal(r.ok, false, `entry ${i} byte ${at}`);
      assert.ok(r.problems.some((p) => p.index === BigInt(i) || p.index === BigInt(i + 1)), `entry ${i} byte ${at}: problem located`);
    }
  }
});

test('dropping any entry is detected (the last one through an anchor)', () => {
  for (let i = 0; i < valid.length; i++) {
    const dropped = valid.filter((_, j) => j !== i);
    assert.equal(verifyLedger(dropped, { anchors: [head] }).ok, false, `drop ${i}`);
    if (i < valid.length - 1) assert.equal(verifyLedger(dropped).ok, false, `drop ${i} without anchor`);
  }
  // without an anchor a dropped tail is indistinguishable from a shorter ledger (docs/LEDGER.md)
  assert.equal(verifyLedger(valid.slice(0, -1)).ok, true);
  assert.deepEqual(codes(valid.slice(0, -1), { anchors: [head] }), ['LEDGER_HEAD']);
  assert.deepEqual(codes(valid, { anchors: [{ index: 3n, entryHash: b32('x') }] }), ['LEDGER_HEAD']);
});

test('reordering entries is detected, even after re-chaining', () => {
  for (let i = 0; i + 1 < valid.length; i++) {
    const swapped = [...valid];
    [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    const c = codes(swapped);
    assert.ok(c.includes('LEDGER_INDEX') && c.includes('LEDGER_PREV_HASH'), `swap ${i}: ${c.join()}`);
  }
  // re-chained swaps that break a life-cycle rule are still rejected (commuting events may swap)
  const swapRechain = (i: number): string[] => {
    const s = [...valid];
    [s[i], s[i + 1]] = [s[i + 1]!, s[i]!];
    return codes(rechain(s));
  };
  assert.deepEqual(swapRechain(0), []); // two factory records commute
  assert.deepEqual(swapRechain(4), ['SAVEHASH_CHAIN']); // batch 2 before batch 1
  assert.deepEqual(swapRechain(7), ['LEDGER_ALREADY_BOUND', 'LEDGER_NOT_OWNER']); // re-bind before unbind
  assert.deepEqual(swapRechain(8), ['LEDGER_NOT_OWNER']); // save hash before the bind of its owner
});

test('wrong signers are rejected', () => {
  const intruder = identity('intruder');
  const base = history();
  const replaceAt = (i: number, rec: Parameters<typeof entryFromRecord>[0]) =>
    verifyLedger(chain(base.map((r, j) => (j === i ? rec : r)))).problems;
  const first = (ps: ReturnType<typeof replaceAt>): [bigint, string] => [ps[0]!.index, ps[0]!.code];
  assert.deepEqual(first(replaceAt(2, bind(intruder, owner1, 'n1'))), [2n, 'LEDGER_UNKNOWN_DEVICE']);
  assert.deepEqual(first(replaceAt(4, saveHashes(dev1, intruder, 1)[0]!)), [4n, 'LEDGER_NOT_OWNER']);
  assert.deepEqual(first(replaceAt(7, unbind(dev1, owner2, 'n2'))), [7n, 'LEDGER_NOT_OWNER']);
  // a restart signed by another device's key in place of dev1's
  assert.deepEqual(first(replaceAt(3, { ...restart(dev1, b32('key1'), b32('key0')), devicePublicKey: dev2.publicKey, deviceSuite: dev2.suite } as never)), [3n, 'REG_RESTART_SIGNATURE']);
  // a valid signature by another key in place of the device's
  const other = chain([bind(intruder, owner1, 'n1')])[0]!;
  const forged = valid.map((x, j) => (j === 2 ? { ...x, signature: other.signature } : x));
  const p = verifyLedger(forged).problems[0]!;
  assert.equal(p.code, 'BIND_SIGNATURE');
  assert.equal(p.detail, 'ECDSA_BAD_SIGNATURE');
  // the intruder's key in place of the device key, signature kept
  const swappedKey = valid.map((x, j) => (j === 2 ? { ...x, signerPublicKey: intruder.publicKey } : x));
  assert.equal(verifyLedger(swappedKey).problems[0]?.code, 'BIND_SIGNATURE');
});
