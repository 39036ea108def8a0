/**
 * The host's native modular exponentiation, candidate for selection in
 * index.ts: OpenSSL in Node. A browser bundle gets native.browser.ts (no
 * native backend: the BigInt one is used) through the package.json `browser`
 * field.
 */
import { opensslModExp } from './openssl.js';
import type { ModExp } from './types.js';

/** OpenSSL (node:crypto), subject to index.ts's known-answer test. */
export const nativeModExp: ModExp | null = opensslModExp;
