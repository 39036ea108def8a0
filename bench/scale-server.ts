/**
 * One storage-server process of the scale bench (bench/scale.ts): `node --import tsx
 * bench/scale-server.ts CONFIG.json` starts a server from that configuration (as
 * `sealcam server` does), prints `ready` once it is subscribed, and stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { startStorageServer, validateServerConfig } from '../src/server/index.js';

const server = await startStorageServer(validateServerConfig(JSON.parse(readFileSync(process.argv[2]!, 'utf8'))));
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void server.stop().finally(() => process.exit(0));
});
