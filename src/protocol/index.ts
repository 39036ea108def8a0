/** Session-level signed messages shared by the device, storage servers and receivers. */
export * from './block-ack.js';
export * from './server-status.js';
export * from './peer-auth.js';
