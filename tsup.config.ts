import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sign: 'src/sdk/sign.ts',
    verify: 'src/sdk/verify.ts',
    peer: 'src/sdk/peer.ts',
    cli: 'src/cli/main.ts',
    'scheme/keygen-worker': 'src/scheme/keygen-worker.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts', sign: 'src/sdk/sign.ts', verify: 'src/sdk/verify.ts', peer: 'src/sdk/peer.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  shims: false,
});
