/** Runs the KeyStore contract against the memory store and the file store (plaintext and sealed). */
import { join } from 'node:path';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { keyStoreContract } from './contract.js';
import { removeDir, tempDir } from '../helpers/temp.js';

keyStoreContract('memory', () => {
  const store = new MemoryKeyStore();
  return Promise.resolve({
    store,
    reopen: async () => {
      await store.close();
      return store.reopen();
    },
    dispose: () => store.close(),
  });
});

for (const sealed of [false, true]) {
  keyStoreContract(sealed ? 'file (AES-256-GCM)' : 'file (plaintext)', async () => {
    const base = await tempDir('sealcam-ks-');
    const opts = { dir: join(base, 'keys'), credentialsDirectory: null, ...(sealed ? { key: new Uint8Array(32).fill(0x5a) } : {}) };
    let current = await FileKeyStore.open(opts);
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await FileKeyStore.open(opts);
        return current;
      },
      dispose: async () => {
        await current.close();
        await removeDir(base);
      },
    };
  });
}
