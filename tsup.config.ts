import { defineConfig } from 'tsup';

export default defineConfig({
  // `core` is internal (benchmarks, CLI); only `index` is the package's public entry.
  entry: { index: 'ts/index.ts', core: 'ts/core/index.ts' },
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
