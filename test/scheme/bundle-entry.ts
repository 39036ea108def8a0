/** Second entry for the bundle test: shares keygen with src/scheme/index.ts so tsup puts it in a chunk. */
export { generateKeyCycle } from '../../src/scheme/keygen.js';
export { keygenWorkerUrl } from '../../src/scheme/worker-url.js';
