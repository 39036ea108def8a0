// The storage server's key: created once in the data directory, or taken from a
// systemd credential (LoadCredentialEncrypted=sealcam-server.key), never both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { loadServerKey, SERVER_KEY_CREDENTIAL, SERVER_KEY_FILE, startStorageServer } from '../../src/server/index.js';
import { LoopbackNetwork, LoopbackTransport } from '../../src/transport/loopback.js';
import { serverConfig } from './helpers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

async function withDirs(fn: (data: string, creds: string) => Promise<void>): Promise<void> {
  const t = await tempDir('sealcam-server-');
  try {
    const data = join(t, 'data');
    const creds = join(t, 'creds');
    await mkdir(data);
    await mkdir(creds);
    await fn(data, creds);
  } finally {
    await removeDir(t);
  }
}

const codeOf = (code: string) => (e: unknown): boolean => (e as { code?: string }).code === code;

test('without a credential the key is created once in the data directory (0600) and loaded afterwards', () => withDirs(async (data, creds) => {
  const a = await loadServerKey(data, 1, { credentialsDirectory: creds });
  assert.equal(a.source, 'created');
  assert.equal((await stat(join(data, SERVER_KEY_FILE))).mode & 0o777, 0o600);
  const b = await loadServerKey(data, 1, { credentialsDirectory: null });
  assert.equal(b.source, 'file');
  assert.deepEqual(b.identity.publicKey, a.identity.publicKey);
  await chmod(join(data, SERVER_KEY_FILE), 0o640);
  await assert.rejects(loadServerKey(data, 1), codeOf('SERVER_KEY_PERMISSIONS'));
}));

test('the credential is the key (64 hex or 32 raw bytes); no key file is written', () => withDirs(async (data, creds) => {
  const secret = randomBytes(32);
  await writeFile(join(creds, SERVER_KEY_CREDENTIAL), secret.toString('hex') + '\n');
  const a = await loadServerKey(data, 1, { credentialsDirectory: creds });
  assert.equal(a.source, 'credential');
  assert.deepEqual(a.identity.publicKey, ecdsaPublicKey(1, secret));
  await assert.rejects(stat(join(data, SERVER_KEY_FILE)), codeOf('ENOENT'));
  await writeFile(join(creds, 'other.key'), secret);
  const b = await loadServerKey(data, 2, { credentialsDirectory: creds, name: 'other.key' });
  assert.deepEqual(b.identity.publicKey, ecdsaPublicKey(2, secret));
}));

test('a key file with another key than the credential is refused; the same key is accepted', () => withDirs(async (data, creds) => {
  const made = await loadServerKey(data, 1);
  await writeFile(join(creds, SERVER_KEY_CREDENTIAL), randomBytes(32).toString('hex'));
  await assert.rejects(loadServerKey(data, 1, { credentialsDirectory: creds }), codeOf('SERVER_KEY_CONFLICT'));
  const file = JSON.parse(await readFile(join(data, SERVER_KEY_FILE), 'utf8')) as { secret: string };
  await writeFile(join(creds, SERVER_KEY_CREDENTIAL), file.secret);
  const same = await loadServerKey(data, 1, { credentialsDirectory: creds });
  assert.equal(same.source, 'credential');
  assert.deepEqual(same.identity.publicKey, made.identity.publicKey);
}));

test('a malformed credential or an invalid secret is SERVER_KEY_FORMAT', () => withDirs(async (data, creds) => {
  await writeFile(join(creds, SERVER_KEY_CREDENTIAL), 'not a key\n');
  await assert.rejects(loadServerKey(data, 1, { credentialsDirectory: creds }), codeOf('SERVER_KEY_FORMAT'));
  await writeFile(join(creds, SERVER_KEY_CREDENTIAL), '00'.repeat(32));
  await assert.rejects(loadServerKey(data, 1, { credentialsDirectory: creds }), codeOf('SERVER_KEY_FORMAT'));
  await assert.rejects(stat(join(data, SERVER_KEY_FILE)), codeOf('ENOENT'), 'a bad credential never falls back to a new key file');
}));

test('startStorageServer takes its key from the credential named in key.credentialName', () => withDirs(async (data, creds) => {
  const secret = randomBytes(32);
  await writeFile(join(creds, 'store.key'), secret.toString('hex'));
  const server = await startStorageServer(serverConfig(data, { key: { credentialName: 'store.key' } }), {
    transport: new LoopbackTransport(new LoopbackNetwork(), 'srv'), credentialsDirectory: creds,
  });
  try {
    assert.deepEqual(server.publicKey, ecdsaPublicKey(1, secret));
  } finally {
    await server.stop();
  }
  await assert.rejects(stat(join(data, SERVER_KEY_FILE)), codeOf('ENOENT'));
}));
