import { defineConfig, type Options } from 'tsup';

const common = {
  target: 'node20',
  platform: 'node',
  sourcemap: false,
  splitting: false,
} satisfies Options;

export default defineConfig([
  {
    ...common,
    // `core` is internal (benchmarks); only `index` is the package's public entry.
    entry: { index: 'ts/index.ts', core: 'ts/core/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // `import.meta.url` (used to load the native binding) gets a __filename shim in the CJS build.
    shims: true,
    // Both configs build at once into dist/: this one cleans it, except the CLI the other writes.
    clean: ['!cli.js'],
  },
  {
    ...common,
    // The `memcache-native` command (package.json `bin`): ESM, with a shebang.
    entry: { cli: 'ts/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
    esbuildPlugins: [
      {
        // The CLI sits on the public API: it imports the built entry beside it, not a second copy.
        name: 'public-api-external',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: './index.js', external: true }));
        },
      },
    ],
  },
]);
