import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSealcamError } from '../../src/platform/errors.js';
import { NonceRegistry } from '../../src/ledger/bind.js';
import { decodeEntry, encodeEntry, recordFromEntry, type LedgerEntry } from '../../src/ledger/entry.js';
import { FILE_HEADER, FrameScanner, encodeFrame } from '../../src/ledger/file-format.js';
import { decodeRecord, encodeRecord, parseRecordFile, recordFromJson, recordToJson } from '../../src/ledger/record-codec.js';
import { decodeKeyRegistration } from '../../src/chain/registration.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { concat } from '../../src/platform/bytes.js';
import { chain, history } from './lifecycle.js';

const records = history();
const entries = chain(records);

/** Runs fn; anything thrown must be a SealcamError with one of `codes`. */
function onlyCoded(fn: () => unknown, codes: string[]): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isSealcamError(e), `non-coded error escaped: ${String(e)}`);
    assert.ok(codes.includes(e.code), `unexpected code ${e.code}`);
  }
}

/** Random bytes, and valid encodings with random byte edits, truncations and extensions. */
function mutated(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(), fc.uint8Array({ maxLength: 8 }))
    .map(([v, flips, cut, extra]) => {
      const b = Uint8Array.from(v);
      for (const [at, x] of flips) b[at % b.length] = b[at % b.length]! ^ x;
      return cut % 3 === 0 ? b.subarray(0, cut % (b.length + 1)) : cut % 3 === 1 ? concat(b, extra) : b;
    });
  return fc.oneof(fc.uint8Array({ maxLength: 1200 }), edit);
}

test('record decoders: only coded errors escape', () => {
  const valid = records.map(encodeRecord);
  fc.assert(fc.property(mutated(valid), (b) => {
    onlyCoded(() => decodeRecord(b), ['RECORD_FORMAT', 'RECORD_VERSION']);
    onlyCoded(() => parseRecordFile(b), ['RECORD_FORMAT', 'RECORD_VERSION', 'RECORD_ADDR_FIELD']);
  }), { numRuns: 400 });
});

test('record JSON reader: only coded errors escape', () => {
  const jsons = records.map(recordToJson);
  const mutatedJson = fc.tuple(fc.constantFrom(...jsons), fc.string(), fc.jsonValue()).map(([j, key, v]) => {
    const keys = Object.keys(j);
    const k = keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : key;
    return { ...j, [k]: v };
  });
  fc.assert(fc.property(fc.oneof(fc.jsonValue(), mutatedJson), (v) => {
    onlyCoded(() => recordFromJson(v), ['RECORD_FORMAT', 'RECORD_VERSION', 'RECORD_ADDR_FIELD']);
  }), { numRuns: 400 });
});

test('registration, entry and nonce registry decoders: only coded errors escape', () => {
  const validEntries = entries.map(encodeEntry);
  fc.assert(fc.property(mutated(validEntries), (b) => {
    onlyCoded(() => decodeKeyRegistration(b), ['REG_FORMAT', 'REG_VERSION']);
    onlyCoded(() => NonceRegistry.decode(b), ['BIND_NONCE_FORMAT']);
    let e: LedgerEntry;
    try {
      e = decodeEntry(b);
    } catch (err) {
      assert.ok(isSealcamError(err, 'LEDGER_FORMAT'), String(err));
      return;
    }
    onlyCoded(() => recordFromEntry(e), ['LEDGER_TYPE', 'LEDGER_PAYLOAD']);
    // verification reports, never throws
    const r = verifyLedger([e]);
    assert.equal(typeof r.ok, 'boolean');
  }), { numRuns: 400 });
});

test('frame scanner over hostile files: entries, a torn tail or LEDGER_CORRUPT only', async () => {
  const file = concat(FILE_HEADER, ...entries.slice(0, 4).map(encodeFrame));
  await fc.assert(fc.asyncProperty(mutated([file]), async (raw) => {
    const b = concat(FILE_HEADER, raw.subarray(Math.min(8, raw.length)));
    const scan = new FrameScanner((pos, len) => Promise.resolve(b.slice(pos, pos + len)), b.length);
    try {
      for (let e = await scan.next(); e !== null; e = await scan.next()) assert.ok(encodeEntry(e).length > 0);
      assert.equal(scan.validEnd + scan.tornBytes, b.length);
    } catch (e) {
      assert.ok(isSealcamError(e, 'LEDGER_CORRUPT'), String(e));
    }
  }), { numRuns: 300 });
});
