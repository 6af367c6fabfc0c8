import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real memcached servers; two cores means two files at a time.
    maxWorkers: 2,
    reporters: ['default', './__test__/support/summary-reporter.ts'],
  },
});
