import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeBlob, encodeBlob } from '../../src/keystore/blob-format.js';
import { loadCredentialKey, parseKeyMaterial } from '../../src/keystore/credential-key.js';
import { decodeDeviceKey, decodeMeta, encodeDeviceKey, encodeMeta } from '../../src/keystore/records.js';
import type { KeyMeta } from '../../src/keystore/keystore.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { SeededRng } from '../../src/platform/rng.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const KEY = new Uint8Array(32).fill(0x11);
const code = (c: string) => (e: unknown) => isSealcamError(e, c);

describe('blob container', () => {
  it('round-trips plaintext and sealed payloads (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (p, sealed) => {
        const file = encodeBlob('cycle.scks', p, sealed ? KEY : null);
        const d = decodeBlob('cycle.scks', file, sealed ? KEY : null);
        assert.deepEqual(d.payload, p);
        assert.equal(d.encrypted, sealed);
      }),
    );
  });

  it('starts with magic and version and seals with a fresh nonce per write', () => {
    const p = new Uint8Array(64).fill(0xab);
    const a = encodeBlob('cycle.scks', p, KEY);
    const b = encodeBlob('cycle.scks', p, KEY);
    assert.equal(Buffer.from(a.subarray(0, 4)).toString(), 'SCKS');
    assert.equal(a[4], 1);
    assert.notDeepEqual(a, b);
    assert.equal(Buffer.from(a).includes(Buffer.from(p.subarray(0, 16))), false);
  });

  it('rejects a sealed blob without a key, with a wrong key, or tampered anywhere', () => {
    const file = encodeBlob('cycle.scks', new Uint8Array(40).fill(7), KEY, new SeededRng('n'));
    assert.throws(() => decodeBlob('cycle.scks', file, null), code('KEYSTORE_KEY_REQUIRED'));
    assert.throws(() => decodeBlob('cycle.scks', file, new Uint8Array(32)), code('KEYSTORE_DECRYPT'));
    const hdrLen = 4 + 1 + 1 + 1 + 'cycle.scks'.length + 4;
    for (const pos of [hdrLen, hdrLen + 12, file.length - 1]) {
      const t = file.slice();
      t[pos]! ^= 1;
      assert.throws(() => decodeBlob('cycle.scks', t, KEY), code('KEYSTORE_DECRYPT'), `byte ${pos}`);
    }
    const t = file.slice();
    t[5] = 0; // a downgrade to "plaintext" is reported as such (the keyed file store then refuses it)
    assert.equal(decodeBlob('cycle.scks', t, KEY).encrypted, false);
  });

  it('binds the file name (a blob moved to another name is refused)', () => {
    const file = encodeBlob('next-cycle.scks', new Uint8Array(8), KEY);
    assert.throws(() => decodeBlob('cycle.scks', file, KEY), code('KEYSTORE_FORMAT'));
  });

  it('rejects bad magic, version, truncation and trailing bytes with codes', () => {
    const file = encodeBlob('meta.scks', new Uint8Array(8).fill(1), null);
    const bad = (f: Uint8Array, c: string): void => assert.throws(() => decodeBlob('meta.scks', f, null), code(c));
    const m = file.slice();
    m[0] = 0x58;
    bad(m, 'KEYSTORE_FORMAT');
    const v = file.slice();
    v[4] = 2;
    bad(v, 'KEYSTORE_VERSION');
    for (let cut = 0; cut < file.length; cut++) bad(file.subarray(0, cut), 'KEYSTORE_FORMAT');
    bad(Uint8Array.of(...file, 0), 'KEYSTORE_FORMAT');
  });
});

describe('records', () => {
  it('round-trips device keys and metadata and rejects malformed ones', () => {
    const dk = { suite: 1 as const, secret: new Uint8Array(32).fill(3) };
    assert.deepEqual(decodeDeviceKey(encodeDeviceKey(dk)), dk);
    assert.throws(() => decodeDeviceKey(encodeDeviceKey(dk).subarray(1)), code('KEYSTORE_FORMAT'));
    const meta: KeyMeta = { chain: [
      { publicKey: new Uint8Array(333).fill(1), link: null },
      { publicKey: new Uint8Array(333).fill(2), link: { kind: 'endorse', signature: new Uint8Array(295).fill(3) } },
      { publicKey: new Uint8Array(333).fill(4), link: { kind: 'restart', prevKeyId: new Uint8Array(32).fill(5), signature: new Uint8Array(64).fill(6), acks: [] } },
    ] };
    const enc = encodeMeta(meta);
    assert.deepEqual(decodeMeta(enc), meta);
    assert.throws(() => decodeMeta(enc.subarray(0, enc.length - 1)), code('KEYSTORE_FORMAT'));
    assert.throws(() => decodeMeta(Uint8Array.of(...enc, 0)), code('KEYSTORE_FORMAT'));
    const kind = enc.slice();
    kind[3 + 2 + 333] = 9; // C1's link kind
    assert.throws(() => decodeMeta(kind), code('KEYSTORE_FORMAT'));
    const v1 = enc.slice();
    v1[0] = 1;
    assert.throws(() => decodeMeta(v1), code('KEYSTORE_VERSION'));
  });
});

describe('credential key', () => {
  const hex = 'a1'.repeat(32);
  it('accepts 32 raw bytes and 64 hex characters (optionally one trailing newline)', () => {
    assert.deepEqual(parseKeyMaterial(new Uint8Array(32).fill(9)), new Uint8Array(32).fill(9));
    assert.deepEqual(parseKeyMaterial(Buffer.from(hex)), new Uint8Array(32).fill(0xa1));
    assert.deepEqual(parseKeyMaterial(Buffer.from(hex.toUpperCase() + '\n')), new Uint8Array(32).fill(0xa1));
  });

  it('rejects everything else with KEYSTORE_KEY_FORMAT', () => {
    for (const raw of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), Buffer.from('g'.repeat(64)), Buffer.from(hex + '\n\n'), Buffer.from(hex.slice(2))]) {
      assert.throws(() => parseKeyMaterial(raw), code('KEYSTORE_KEY_FORMAT'), `length ${raw.length}`);
    }
  });

  it('reads $CREDENTIALS_DIRECTORY/sealcam.key; absent directory or file gives null', async () => {
    const dir = await tempDir('sealcam-cred-');
    try {
      assert.equal(await loadCredentialKey({ credentialsDirectory: null }), null);
      assert.equal(await loadCredentialKey({ credentialsDirectory: dir }), null);
      await writeFile(join(dir, 'sealcam.key'), hex + '\n');
      assert.deepEqual(await loadCredentialKey({ credentialsDirectory: dir }), new Uint8Array(32).fill(0xa1));
      await writeFile(join(dir, 'sealcam.key'), 'short');
      await assert.rejects(loadCredentialKey({ credentialsDirectory: dir }), code('KEYSTORE_KEY_FORMAT'));
      await writeFile(join(dir, 'sealcam.key'), new Uint8Array(4096));
      await assert.rejects(loadCredentialKey({ credentialsDirectory: dir }), code('KEYSTORE_KEY_FORMAT'));
    } finally {
      await removeDir(dir);
    }
  });
});
