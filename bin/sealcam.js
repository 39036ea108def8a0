#!/usr/bin/env node
// Thin shim: the CLI is bundled into dist/cli.js by `npm run build` (run
// automatically by `npm install`/`npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('sealcam: dist/cli.js is missing; run `npm run build` first');
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
