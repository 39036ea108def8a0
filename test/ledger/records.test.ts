import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaOrder, ecdsaVerify, type Suite } from '../../src/crypto/ecdsa.js';
import { concat, fromHex, i2osp, os2ip, toHex, utf8 } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { parseJsonStrict } from '../../src/platform/strict-json.js';
import {
  ackMessage, bindMessage, bindRequestMessage, factoryMessage, restartMessage, saveHashMessage, unbindMessage,
} from '../../src/ledger/messages.js';
import {
  signAckRecord, signBindRecord, signBindRequest, signFactoryRecord, signRestartRecord, signSaveHashRecord, signUnbindRecord,
  verifyFactoryRecord, verifyRecord,
} from '../../src/ledger/records.js';
import { sha256 } from '../../src/crypto/hash.js';
import { encodeEntry, entryFromRecord, entryHash, GENESIS_HASH } from '../../src/ledger/entry.js';
import { decodeRecord, encodeRecord, parseRecordFile, recordFromJson, recordToJson } from '../../src/ledger/record-codec.js';
import { specOf, type BindRecord, type FactoryRecord, type LifecycleRecord } from '../../src/ledger/record-spec.js';
import { b32, flip, identity } from './helpers.js';

function allRecords(suite: Suite): { rec: LifecycleRecord; message: Uint8Array; signer: Uint8Array }[] {
  const mfr = identity('mfr', suite);
  const dev = identity('dev', suite);
  const owner = identity('owner', suite);
  const srv = identity('srv', suite);
  const nonce = b32('nonce');
  const keyId = b32('key1');
  return [
    { rec: signFactoryRecord({ manufacturerSuite: suite, manufacturerSecret: mfr.secret, deviceSuite: suite, devicePublicKey: dev.publicKey, firstKeyId: keyId, issuedAt: 1_767_225_601_000n }),
      message: concat(utf8('sealcam/factory/v2'), Uint8Array.of(suite), dev.addr, dev.publicKey.subarray(1), keyId, i2osp(1_767_225_601_000n, 8)), signer: mfr.publicKey },
    { rec: signBindRecord({ deviceSuite: suite, deviceSecret: dev.secret, ownerAddr: owner.addr, nonce }),
      message: concat(utf8('sealcam/bind/v1'), dev.addr, owner.addr, nonce), signer: dev.publicKey },
    { rec: signRestartRecord({ deviceSuite: suite, deviceSecret: dev.secret, prevKeyId: b32('key0'), keyId }),
      message: concat(utf8('sealcam/restart/v1'), dev.addr, b32('key0'), keyId), signer: dev.publicKey },
    { rec: signAckRecord({ serverSuite: suite, serverSecret: srv.secret, deviceAddr: dev.addr, keyId, seenAt: 0n }),
      message: concat(utf8('sealcam/ack/v2'), srv.addr, dev.addr, keyId, new Uint8Array(8)), signer: srv.publicKey },
    { rec: signBindRequest({ ownerSuite: suite, ownerSecret: owner.secret, deviceAddr: dev.addr, nonce }),
      message: concat(utf8('sealcam/bind-request/v1'), dev.addr, owner.addr, nonce), signer: owner.publicKey },
    { rec: signUnbindRecord({ ownerSuite: suite, ownerSecret: owner.secret, deviceAddr: dev.addr, nonce }),
      message: concat(utf8('sealcam/unbind/v1'), dev.addr, owner.addr, nonce), signer: owner.publicKey },
    { rec: signSaveHashRecord({ receiverSuite: suite, receiverSecret: owner.secret, deviceAddr: dev.addr, k: 3n, size: 16, root: b32('r'), hash: b32('h') }),
      message: concat(utf8('sealcam/savehash/v1'), dev.addr, i2osp(3n, 8), i2osp(16n, 4), b32('r'), b32('h')), signer: owner.publicKey },
  ];
}

test('message builders are the byte-exact §7 layouts', () => {
  const dev = identity('dev');
  const o = identity('owner').addr;
  const n = b32('n');
  assert.equal(factoryMessage(1, dev.addr, dev.publicKey, n, 0n).length, 18 + 1 + 20 + 64 + 32 + 8);
  assert.deepEqual(bindMessage(dev.addr, o, n), concat(utf8('sealcam/bind/v1'), dev.addr, o, n));
  assert.deepEqual(bindRequestMessage(dev.addr, o, n).subarray(0, 23), utf8('sealcam/bind-request/v1'));
  assert.deepEqual(unbindMessage(dev.addr, o, n).length, 17 + 72);
  assert.deepEqual(restartMessage(dev.addr, n, n), concat(utf8('sealcam/restart/v1'), dev.addr, n, n));
  assert.equal(ackMessage(o, dev.addr, n, 0n).length, 14 + 72 + 8);
  assert.throws(() => ackMessage(o, dev.addr, n, 1n << 64n), RangeError);
  assert.throws(() => signRestartRecord({ deviceSuite: 1, deviceSecret: dev.secret, prevKeyId: new Uint8Array(32), keyId: n }), /zeros/);
  assert.throws(() => saveHashMessage(dev.addr, 0n, 1, n, n), RangeError);
  assert.throws(() => bindMessage(dev.addr, o, n.subarray(1)), /nonce must be 32 bytes/);
  assert.throws(() => factoryMessage(1, dev.addr, dev.publicKey.subarray(1), n, 0n), /devicePublicKey/);
});

for (const suite of [1, 2] as Suite[]) {
  test(`suite ${suite}: every record signs the documented message, verifies and round-trips`, () => {
    for (const { rec, message, signer } of allRecords(suite)) {
      const spec = specOf(rec.kind);
      assert.deepEqual(spec.message(rec), message, rec.kind);
      assert.equal(ecdsaVerify(suite, signer, message, rec.signature), null, rec.kind);
      assert.equal(verifyRecord(rec), null, rec.kind);
      const bin = encodeRecord(rec);
      // lengths of the tables in docs/LEDGER.md §2 and §3
      const docs = { factory: [143, 242], bind: [87, 188], restart: [102, 200], ack: [94, 196], 'bind-request': [95, 188], unbind: [89, 188], savehash: [115, 232] };
      assert.deepEqual([message.length, bin.length], docs[rec.kind], rec.kind);
      assert.deepEqual(decodeRecord(bin), rec);
      assert.deepEqual(parseRecordFile(bin), rec);
      const json = recordToJson(rec);
      assert.equal(json.record, rec.kind);
      assert.deepEqual(recordFromJson(JSON.parse(JSON.stringify(json))), rec);
      assert.deepEqual(parseRecordFile(utf8(JSON.stringify(json, null, 2))), rec);
    }
  });

  test(`suite ${suite}: tampered records fail with the record's code and the ECDSA reason`, () => {
    const n = ecdsaOrder(suite);
    for (const { rec } of allRecords(suite)) {
      const spec = specOf(rec.kind);
      const code = rec.kind === 'factory' ? 'REG_FACTORY_SIGNATURE' : spec.sigCode;
      const f = verifyRecord({ ...rec, signature: flip(rec.signature, 40) } as LifecycleRecord);
      assert.equal(f?.code, code, rec.kind);
      assert.equal(f?.detail, 'ECDSA_BAD_SIGNATURE');
      const s = os2ip(rec.signature.subarray(32));
      const high = concat(rec.signature.subarray(0, 32), i2osp(n - s, 32));
      assert.equal(verifyRecord({ ...rec, signature: high } as LifecycleRecord)?.detail, 'ECDSA_HIGH_S');
      // every non-signature field is covered by the signature
      for (const [name, kind] of spec.fields) {
        if (name === 'signature' || name === spec.signer[0] || kind === 'suite') continue;
        const r = rec as unknown as Record<string, unknown>;
        const v = r[name];
        const changed = typeof v === 'bigint' ? v + 1n : typeof v === 'number' ? v + 1 : flip(v as Uint8Array, (v as Uint8Array).length - 1);
        const g = verifyRecord({ ...r, [name]: changed } as unknown as LifecycleRecord);
        assert.ok(g !== null, `${rec.kind}.${name} not covered`);
      }
      // wrong signer key (another valid key)
      const other = identity('intruder', suite).publicKey;
      assert.equal(verifyRecord({ ...rec, [spec.signer[1]]: other } as unknown as LifecycleRecord)?.code, code);
    }
  });
}

test('record-specific codes: REG_DEVICE_KEY, BIND_OWNER_ZERO, RECORD_FORMAT', () => {
  const fac = allRecords(1)[0]!.rec as FactoryRecord;
  const bind = allRecords(1)[1]!.rec as BindRecord;
  const badDev = flip(fac.devicePublicKey, 64);
  const f = verifyFactoryRecord({ ...fac, devicePublicKey: badDev });
  assert.equal(f?.code, 'REG_DEVICE_KEY');
  assert.equal(verifyRecord({ ...bind, ownerAddr: new Uint8Array(20) })?.code, 'BIND_OWNER_ZERO');
  assert.equal(verifyRecord({ ...bind, nonce: new Uint8Array(31) })?.code, 'RECORD_FORMAT');
  assert.equal(verifyRecord({ kind: 'nope' } as never)?.code, 'RECORD_FORMAT');
  assert.throws(() => signBindRecord({ deviceSuite: 1, deviceSecret: identity('d').secret, ownerAddr: new Uint8Array(20), nonce: b32('x') }), RangeError);
  assert.throws(() => signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: identity('m').secret, deviceSuite: 1, devicePublicKey: badDev, firstKeyId: b32('k'), issuedAt: 1n }), RangeError);
});

test('binary decoding is strict and coded', () => {
  const { rec } = allRecords(1)[1]!;
  const bin = encodeRecord(rec);
  const code = (b: Uint8Array): string | undefined => {
    try {
      decodeRecord(b);
      return undefined;
    } catch (e) {
      assert.ok(isSealcamError(e), String(e));
      return e.code;
    }
  };
  assert.equal(code(bin.subarray(0, bin.length - 1)), 'RECORD_FORMAT');
  assert.equal(code(concat(bin, Uint8Array.of(0))), 'RECORD_FORMAT');
  assert.equal(code(flip(bin, 0)), 'RECORD_FORMAT');
  assert.equal(code(flip(bin, 4, 3)), 'RECORD_VERSION');
  assert.equal(code(flip(bin, 5, 0x80)), 'RECORD_FORMAT');
  const badSuite = Uint8Array.from(bin);
  badSuite[6] = 9;
  assert.equal(code(badSuite), 'RECORD_FORMAT');
  const badPrefix = Uint8Array.from(bin);
  badPrefix[7] = 0x02;
  assert.equal(code(badPrefix), 'RECORD_FORMAT');
});

test('JSON decoding is strict and coded', () => {
  const { rec } = allRecords(2)[0]!;
  const json = recordToJson(rec);
  const code = (v: unknown): string | undefined => {
    try {
      recordFromJson(v);
      return undefined;
    } catch (e) {
      assert.ok(isSealcamError(e), String(e));
      return e.code;
    }
  };
  assert.equal(code({ ...json, extra: 1 }), 'RECORD_FORMAT');
  const { signature: _s, ...missing } = json;
  assert.equal(code(missing), 'RECORD_FORMAT');
  assert.equal(code({ ...json, signature: (json.signature as string).toUpperCase() }), 'RECORD_FORMAT');
  assert.equal(code({ ...json, signature: (json.signature as string).slice(2) }), 'RECORD_FORMAT');
  assert.equal(code({ ...json, version: 1 }), 'RECORD_VERSION');
  assert.equal(code(parseJsonStrict(JSON.stringify(json).replace('{"record":"factory",', '{"record":"factory","deviceSuite":1,'))), 'RECORD_FORMAT');
  assert.equal(code({ ...json, record: 'other' }), 'RECORD_FORMAT');
  assert.equal(code({ ...json, manufacturerSuite: '1' }), 'RECORD_FORMAT');
  assert.equal(code({ ...json, deviceAddr: toHex(new Uint8Array(20)) }), 'RECORD_ADDR_FIELD');
  assert.equal(code([json]), 'RECORD_FORMAT');
  assert.equal(code(null), 'RECORD_FORMAT');
  assert.throws(() => parseRecordFile(utf8('{"record":')), (e: unknown) => isSealcamError(e, 'RECORD_FORMAT'));
  assert.throws(() => parseRecordFile(Uint8Array.of(0xff, 0xfe)), (e: unknown) => isSealcamError(e, 'RECORD_FORMAT'));
  // u64 JSON form: number below 2^53, minimal hex at or above
  const sh = allRecords(1)[6]!.rec;
  const big = signSaveHashRecord({ receiverSuite: 1, receiverSecret: identity('owner').secret, deviceAddr: identity('dev').addr, k: 2n ** 60n, size: 1, root: b32('r'), hash: b32('h') });
  assert.equal(recordToJson(big).k, '1000000000000000');
  assert.deepEqual(recordFromJson(recordToJson(big)), big);
  assert.equal(code({ ...recordToJson(sh), k: '3' }), 'RECORD_FORMAT');
  assert.equal(code({ ...recordToJson(big), k: '01000000000000000' }), 'RECORD_FORMAT');
  assert.equal(code({ ...recordToJson(sh), k: 0 }), 'RECORD_FORMAT');
  assert.equal(code({ ...recordToJson(sh), size: 1.5 }), 'RECORD_FORMAT');
});

test('worked example of docs/LEDGER.md (secp256k1, private keys 1 and 2)', () => {
  const mfrSecret = i2osp(1n, 32);
  const devSecret = i2osp(2n, 32);
  const dev = signBindRecord({ deviceSuite: 1, deviceSecret: devSecret, ownerAddr: fromHex('11'.repeat(20)), nonce: fromHex('22'.repeat(32)) });
  const first = { firstKeyId: fromHex('33'.repeat(32)), issuedAt: 1_767_225_601_000n };
  const fac = signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mfrSecret, deviceSuite: 1, devicePublicKey: dev.devicePublicKey, ...first });
  // address of private key 2 (Ethereum rule) and the exact message
  assert.equal(recordToJson(fac).deviceAddr, '2b5ad5c4795c026514f8317c7a215e218dccd6cf');
  assert.equal(toHex(specOf('factory').message(fac)), toHex(utf8('sealcam/factory/v2')) + '01' + '2b5ad5c4795c026514f8317c7a215e218dccd6cf'
    + toHex(dev.devicePublicKey.subarray(1)) + '33'.repeat(32) + '0000019b76daabe8');
  assert.equal(encodeRecord(fac).length, 6 + 1 + 65 + 1 + 65 + 32 + 8 + 64);
  assert.equal(encodeRecord(dev).length, 6 + 1 + 65 + 20 + 32 + 64);
  assert.equal(verifyRecord(fac), null);
  // the values printed in docs/LEDGER.md (RFC 6979 makes them reproducible)
  assert.equal(toHex(sha256(specOf('factory').message(fac))), '017d2415bd6f9bb01825970772083b126501c102b09fb66de03a4b4f4b3d24f9');
  assert.equal(toHex(fac.signature), '5311fbd59f80028e282d6fb005e0b648271ddfece4e857ad32ed97f718358c1a'
    + '12096015fbd310f1bc373d6526d88867c0766d978353e38b0943406db84e615d');
  const e0 = entryFromRecord(fac, 0n, GENESIS_HASH);
  assert.equal(encodeEntry(e0).length, 281);
  assert.equal(toHex(entryHash(e0)), '78cf7901955b066e8fea979b1c00f1f7eb34a49f56e04430fc4d2fa1686b6613');
  assert.equal(toHex(entryHash(entryFromRecord(dev, 1n, entryHash(e0)))), 'd29154f7feb2d25d0056a264723bdfdbcfe1b4ec7e0bcb2db6d3b56afd9593d1');
  // RFC 6979: deterministic
  assert.deepEqual(signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mfrSecret, deviceSuite: 1, devicePublicKey: dev.devicePublicKey, ...first }), fac);
});
