/** Ambient seams and helpers: errors, bytes, Clock, Rng, Logger, durable files. */
export * from './errors.js';
export * from './bytes.js';
export * from './clock.js';
export * from './rng.js';
export * from './logger.js';
export * from './atomic-file.js';
