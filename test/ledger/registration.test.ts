import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/crypto/hash.js';
import { concat, utf8 } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { signAckRecord, signFactoryRecord } from '../../src/ledger/records.js';
import {
  buildKeyRegistration, decodeKeyRegistration, encodeKeyRegistration, keyIdOf, type KeyRegistration,
} from '../../src/ledger/registration.js';
import { verifyAck, verifyKeyRegistration, type RegistrationContext } from '../../src/ledger/registration-verify.js';
import { b32, flip, identity } from './helpers.js';

const mfr = identity('mfr');
const dev = identity('dev', 2);
const srv = identity('srv');
// opaque stand-in for an FsPublicKey (k = 2048 length); src/scheme decodes real ones
const fsBytes = concat(utf8('SCFK'), sha256(utf8('fs')), new Uint8Array(589 - 36));
const keyId = sha256(fsBytes);
const factory = signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mfr.secret, deviceSuite: 2, devicePublicKey: dev.publicKey });
const prevKeyId = b32('prev');

function msg(over: Partial<Parameters<typeof buildKeyRegistration>[0]> = {}): KeyRegistration {
  return buildKeyRegistration({ fsPublicKey: fsBytes, suite: 2, deviceSecret: dev.secret, factory, prevKeyId, ...over });
}

function ctx(over: Partial<RegistrationContext> = {}): RegistrationContext {
  return {
    trustedManufacturers: [{ suite: 1, publicKey: mfr.publicKey }],
    lastKeyId: prevKeyId,
    fsKey: { deviceAddr: dev.addr, keyId, cycleEnd: 2_000_000n },
    now: 1_000_000n,
    ...over,
  };
}

test('key registration encodes, decodes and is accepted', () => {
  const m = msg();
  assert.deepEqual(keyIdOf(m.fsPublicKey), keyId);
  const bytes = encodeKeyRegistration(m);
  assert.equal(bytes.length, 299 + fsBytes.length);
  assert.deepEqual(decodeKeyRegistration(bytes), m);
  assert.equal(verifyKeyRegistration(m, ctx()), null);
  // first registration: prevKeyId zeros and no last keyId
  const first = msg({ prevKeyId: new Uint8Array(32) });
  assert.equal(verifyKeyRegistration(first, ctx({ lastKeyId: null })), null);
});

test('every §7 acceptance rule has its own code', () => {
  const m = msg();
  const code = (mm: KeyRegistration, c: RegistrationContext = ctx()): string | undefined => verifyKeyRegistration(mm, c)?.code;
  assert.equal(code(m, ctx({ trustedManufacturers: [{ suite: 1, publicKey: srv.publicKey }] })), 'REG_MANUFACTURER_UNTRUSTED');
  assert.equal(code(m, ctx({ trustedManufacturers: [{ suite: 2, publicKey: mfr.publicKey }] })), 'REG_MANUFACTURER_UNTRUSTED');
  assert.equal(code({ ...m, devicePublicKey: flip(m.devicePublicKey, 64) }), 'REG_DEVICE_KEY');
  const badFac = verifyKeyRegistration({ ...m, factory: { ...m.factory, signature: flip(m.factory.signature, 5) } }, ctx());
  assert.equal(badFac?.code, 'REG_FACTORY_SIGNATURE');
  assert.equal(badFac?.detail, 'ECDSA_BAD_SIGNATURE');
  // a factory record for another device key does not certify this one
  const other = identity('other-dev', 2);
  const otherReg = buildKeyRegistration({ fsPublicKey: fsBytes, suite: 2, deviceSecret: other.secret, factory: { ...factory, devicePublicKey: other.publicKey }, prevKeyId });
  assert.equal(code(otherReg, ctx({ fsKey: { deviceAddr: other.addr, keyId, cycleEnd: 2_000_000n } })), 'REG_FACTORY_SIGNATURE');
  const badReg = verifyKeyRegistration({ ...m, regSignature: flip(m.regSignature, 1) }, ctx());
  assert.equal(badReg?.code, 'REG_SIGNATURE');
  assert.equal(code({ ...m, prevKeyId: b32('other') }), 'REG_SIGNATURE'); // prevKeyId is signed
  assert.equal(code(m, ctx({ fsKey: { deviceAddr: other.addr, keyId, cycleEnd: 2_000_000n } })), 'REG_DEVICE_MISMATCH');
  assert.equal(code(m, ctx({ lastKeyId: b32('newer') })), 'REG_CHAIN');
  assert.equal(code(m, ctx({ lastKeyId: null })), 'REG_CHAIN');
  assert.equal(code(m, ctx({ now: 2_000_000n })), 'REG_EXPIRED');
  assert.equal(code(m, ctx({ now: 1_999_999n })), undefined);
  assert.equal(code(m, ctx({ fsKey: { deviceAddr: dev.addr, keyId: b32('x'), cycleEnd: 2_000_000n } })), 'REG_FORMAT');
  assert.equal(code({ ...m, regSignature: new Uint8Array(63) }), 'REG_FORMAT');
  assert.throws(() => verifyKeyRegistration(m, ctx({ now: 5 as unknown as bigint })), TypeError);
});

test('registration decoding is strict and coded', () => {
  const bytes = encodeKeyRegistration(msg());
  const code = (b: Uint8Array): string | undefined => {
    try {
      decodeKeyRegistration(b);
      return undefined;
    } catch (e) {
      assert.ok(isSealcamError(e), String(e));
      return e.code;
    }
  };
  assert.equal(code(bytes.subarray(0, bytes.length - 1)), 'REG_FORMAT');
  assert.equal(code(concat(bytes, Uint8Array.of(0))), 'REG_FORMAT');
  assert.equal(code(flip(bytes, 1)), 'REG_FORMAT');
  assert.equal(code(flip(bytes, 4, 2)), 'REG_VERSION');
  assert.equal(code(flip(bytes, 5, 4)), 'REG_FORMAT'); // device suite 6
  assert.equal(code(flip(bytes, 71, 4)), 'REG_FORMAT'); // manufacturer suite 5
  const zeroLen = Uint8Array.from(bytes.subarray(0, 299));
  zeroLen[297] = 0;
  zeroLen[298] = 0;
  assert.equal(code(zeroLen), 'REG_FORMAT');
  assert.equal(code(new Uint8Array(3)), 'REG_FORMAT');
});

test('buildKeyRegistration refuses a factory record of another key', () => {
  const other = identity('other', 2);
  assert.throws(() => buildKeyRegistration({ fsPublicKey: fsBytes, suite: 2, deviceSecret: other.secret, factory, prevKeyId }), RangeError);
  assert.throws(() => buildKeyRegistration({ fsPublicKey: new Uint8Array(0), suite: 2, deviceSecret: dev.secret, factory, prevKeyId }), RangeError);
});

test('acknowledgements: trusted server, signature, device and keyId', () => {
  const ack = signAckRecord({ serverSuite: 1, serverSecret: srv.secret, deviceAddr: dev.addr, keyId });
  const trustedServers = [{ suite: 1 as const, publicKey: srv.publicKey }];
  assert.equal(verifyAck(ack, { trustedServers, deviceAddr: dev.addr, keyId }), null);
  const camo = identity('camouflage');
  const fake = signAckRecord({ serverSuite: 1, serverSecret: camo.secret, deviceAddr: dev.addr, keyId });
  assert.equal(verifyAck(fake, { trustedServers, deviceAddr: dev.addr, keyId })?.code, 'REG_ACK_UNTRUSTED');
  const forged = verifyAck({ ...ack, signature: flip(ack.signature, 9) }, { trustedServers, deviceAddr: dev.addr, keyId });
  assert.equal(forged?.code, 'REG_ACK_SIGNATURE');
  assert.equal(forged?.detail, 'ECDSA_BAD_SIGNATURE');
  assert.equal(verifyAck(ack, { trustedServers, deviceAddr: dev.addr, keyId: b32('k2') })?.code, 'REG_ACK_MISMATCH');
  assert.equal(verifyAck(ack, { trustedServers, deviceAddr: mfr.addr, keyId })?.code, 'REG_ACK_MISMATCH');
  assert.equal(verifyAck({ ...ack, keyId: new Uint8Array(3) }, { trustedServers, deviceAddr: dev.addr, keyId })?.code, 'REG_FORMAT');
});
