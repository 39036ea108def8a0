/**
 * @peculiar/x509, loaded after the Reflect metadata polyfill its dependency
 * injection (tsyringe) needs at import time. Every C2PA file that handles
 * certificates imports the library from here so the polyfill always comes
 * first. The library signs and verifies through WebCrypto (globalThis.crypto:
 * Node 20 and every browser), so nothing here needs node:crypto.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export { x509 };
