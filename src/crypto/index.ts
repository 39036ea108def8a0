export * from './hash.js';
export * from './modmath.js';
export * from './ecdsa.js';
export * from './modexp/index.js';
export { opensslModExp, clearOpensslCaches } from './modexp/openssl.js';
