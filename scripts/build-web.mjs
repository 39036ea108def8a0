#!/usr/bin/env node
// Builds the verification page (web/) into dist/web/: index.html, app.css and
// one ES module bundle app.js made by esbuild for the browser. The package.json
// `browser` field swaps the Node host primitives (platform/native.ts,
// crypto/modexp/native.ts) for their browser twins; the build fails if any
// Node built-in or Node-only module would end up in the bundle. Run by
// `npm run build` after tsup (which empties dist/).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/web`;
mkdirSync(out, { recursive: true });
const res = await build({
  entryPoints: [`${root}web/app.ts`],
  outfile: `${out}/app.js`,
  absWorkingDir: root,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});
const nodeOnly = Object.keys(res.metafile.inputs).filter((i) => i.startsWith('node:') || /src\/platform\/native\.ts$|src\/crypto\/modexp\/(native|openssl)\.ts$/.test(i));
if (nodeOnly.length > 0) {
  console.error(`build-web: Node-only inputs in the browser bundle: ${nodeOnly.join(', ')}`);
  process.exit(1);
}
for (const f of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(`${root}web/${f}`, `${out}/${f}`);
