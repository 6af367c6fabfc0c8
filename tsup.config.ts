import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

const common = {
  target: 'node20',
  platform: 'node',
  sourcemap: false,
  splitting: false,
} satisfies Options;

/** The public API's source: what the CLI and the adapters import, and must not carry a copy of. */
const PUBLIC_API = path.resolve('ts/index.ts');

/**
 * The CLI and the adapters sit on the public API: their import of ts/index.ts becomes an import of
 * the built entry beside them (`./index.js` from ESM, `./index.cjs` from CJS), not a second copy of
 * the client (whose classes, errors and core would then exist twice).
 */
const publicApiExternal: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'public-api-external',
  setup(build) {
    const built = build.initialOptions.format === 'cjs' ? './index.cjs' : './index.js';
    build.onResolve({ filter: /(^|\/)index\.js$/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const source = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      return source === PUBLIC_API ? { path: built, external: true } : undefined;
    });
  },
};

export default defineConfig([
  {
    ...common,
    // `core` is internal (benchmarks). `index` is the package's entry; `keyv` and `session` are
    // the adapters' subpaths (memcache-native/keyv, memcache-native/session), on top of `index`.
    entry: { index: 'ts/index.ts', core: 'ts/core/index.ts', keyv: 'ts/adapters/keyv/index.ts', session: 'ts/adapters/session/index.ts' },
    format: ['esm', 'cjs'],
    // One declaration build for all four: the types they share land in chunks beside them
    // (dist/client-<hash>.d.ts, package.json `files` takes dist/*.d.ts), so the Client the
    // adapters' types name is the one 'memcache-native' exports.
    dts: true,
    // `import.meta.url` (used to load the native binding) gets a __filename shim in the CJS build.
    shims: true,
    // Both configs build at once into dist/: this one cleans it, except the CLI the other writes.
    clean: ['!cli.js'],
    esbuildPlugins: [publicApiExternal],
  },
  {
    ...common,
    // The `memcache-native` command (package.json `bin`): ESM, with a shebang.
    entry: { cli: 'ts/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
    esbuildPlugins: [publicApiExternal],
  },
]);
