import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { checkBindResponse, handleBindRequest, NonceRegistry, type BindRequest } from '../../src/ledger/bind.js';
import { signBindRecord, signBindRequest, verifyBindRecord } from '../../src/ledger/records.js';
import { b32, flip, identity } from './helpers.js';

const dev = identity('dev');
const owner = identity('owner', 2);
const device = { suite: dev.suite, secret: dev.secret };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(isSealcamError(e), String(e));
    return e.code;
  }
}

test('plain bind: device signs (ownerAddr, nonce); the owner checks the answer', () => {
  const nonces = new NonceRegistry();
  const nonce = b32('n1');
  const resp = handleBindRequest({ kind: 'plain', ownerAddr: owner.addr, nonce }, device, nonces);
  assert.equal(verifyBindRecord(resp.record), null);
  assert.deepEqual(resp.record.ownerAddr, owner.addr);
  assert.ok(nonces.has(nonce));
  const rec = checkBindResponse(resp, { deviceAddr: dev.addr, ownerAddr: owner.addr, nonce });
  assert.deepEqual(rec, resp.record);
  assert.equal(code(() => checkBindResponse(resp, { deviceAddr: owner.addr, ownerAddr: owner.addr, nonce })), 'BIND_DEVICE_MISMATCH');
  assert.equal(code(() => checkBindResponse(resp, { deviceAddr: dev.addr, ownerAddr: owner.addr, nonce: b32('other') })), 'BIND_SIGNATURE');
  const forged = { record: { ...resp.record, signature: flip(resp.record.signature, 3) } };
  assert.equal(code(() => checkBindResponse(forged, { deviceAddr: dev.addr, ownerAddr: owner.addr, nonce })), 'BIND_SIGNATURE');
});

test('nonce registry refuses reuse, bad length and overflow, and persists', () => {
  const nonces = new NonceRegistry(2);
  const req = (nonce: Uint8Array): BindRequest => ({ kind: 'plain', ownerAddr: owner.addr, nonce });
  handleBindRequest(req(b32('a')), device, nonces);
  assert.equal(code(() => handleBindRequest(req(b32('a')), device, nonces)), 'BIND_NONCE_REUSED');
  assert.equal(code(() => handleBindRequest(req(new Uint8Array(31)), device, nonces)), 'BIND_NONCE_FORMAT');
  assert.equal(code(() => handleBindRequest(req('x' as unknown as Uint8Array), device, nonces)), 'BIND_NONCE_FORMAT');
  handleBindRequest(req(b32('b')), device, nonces);
  assert.equal(code(() => handleBindRequest(req(b32('c')), device, nonces)), 'BIND_NONCE_CAPACITY');
  assert.equal(nonces.size, 2);
  const restored = NonceRegistry.decode(nonces.encode(), 2);
  assert.equal(code(() => restored.use(b32('b'))), 'BIND_NONCE_REUSED');
  assert.deepEqual(restored.encode(), nonces.encode());
  assert.equal(code(() => NonceRegistry.decode(nonces.encode(), 1)), 'BIND_NONCE_FORMAT');
  assert.equal(code(() => NonceRegistry.decode(nonces.encode().subarray(1))), 'BIND_NONCE_FORMAT');
  const dup = nonces.encode();
  dup.set(dup.subarray(9, 41), 41);
  assert.equal(code(() => NonceRegistry.decode(dup)), 'BIND_NONCE_FORMAT');
});

test('owner-signed bind request: owner signature and device address are checked', () => {
  const nonces = new NonceRegistry();
  const nonce = b32('s1');
  const request = signBindRequest({ ownerSuite: owner.suite, ownerSecret: owner.secret, deviceAddr: dev.addr, nonce });
  const resp = handleBindRequest({ kind: 'signed', request }, device, nonces, { requireOwnerSignature: true });
  assert.deepEqual(resp.record.ownerAddr, owner.addr);
  // replay of the same signed request
  assert.equal(code(() => handleBindRequest({ kind: 'signed', request }, device, nonces)), 'BIND_NONCE_REUSED');
  // forged: claims the owner's key but signed by someone else
  const intruder = identity('intruder', 2);
  const forged = signBindRequest({ ownerSuite: 2, ownerSecret: intruder.secret, deviceAddr: dev.addr, nonce: b32('s2') });
  assert.equal(code(() => handleBindRequest({ kind: 'signed', request: { ...forged, ownerPublicKey: owner.publicKey } }, device, nonces)), 'BIND_OWNER_SIGNATURE');
  assert.equal(code(() => handleBindRequest({ kind: 'signed', request: { ...request, nonce: b32('s3') } }, device, nonces)), 'BIND_OWNER_SIGNATURE');
  assert.equal(code(() => handleBindRequest({ kind: 'signed', request: { ...request, nonce: new Uint8Array(8) } }, device, nonces)), 'BIND_NONCE_FORMAT');
  // meant for another device
  const elsewhere = signBindRequest({ ownerSuite: 2, ownerSecret: owner.secret, deviceAddr: owner.addr, nonce: b32('s4') });
  assert.equal(code(() => handleBindRequest({ kind: 'signed', request: elsewhere }, device, nonces)), 'BIND_DEVICE_MISMATCH');
  // a plain request is refused when the device requires the owner's signature
  assert.equal(code(() => handleBindRequest({ kind: 'plain', ownerAddr: owner.addr, nonce: b32('s5') }, device, nonces, { requireOwnerSignature: true })), 'BIND_OWNER_SIGNATURE');
  // failed requests did not consume their nonces
  assert.equal(nonces.size, 1);
});

test('binding to the zero address is refused everywhere', () => {
  const nonces = new NonceRegistry();
  assert.equal(code(() => handleBindRequest({ kind: 'plain', ownerAddr: new Uint8Array(20), nonce: b32('z') }, device, nonces)), 'BIND_OWNER_ZERO');
  assert.equal(nonces.size, 0);
  assert.throws(() => signBindRecord({ deviceSuite: 1, deviceSecret: dev.secret, ownerAddr: new Uint8Array(20), nonce: b32('z') }), RangeError);
});
