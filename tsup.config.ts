import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'ts/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  // `import.meta.url` (used to load the native binding) gets a __filename shim in the CJS build.
  shims: true,
  target: 'node20',
  platform: 'node',
  clean: true,
  sourcemap: false,
  splitting: false,
});
