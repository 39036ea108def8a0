/**
 * Browser twin of native.ts (package.json `browser`): no native modular
 * exponentiation, so index.ts selects the BigInt backend.
 */
import type { ModExp } from './types.js';

/** None in a browser. */
export const nativeModExp: ModExp | null = null;
