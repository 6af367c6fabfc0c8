/**
 * Ends a run with one plain line, `vitest: N passed, N failed, N skipped`, that CI can read
 * whatever reporter prints above it. Unhandled errors count as failures.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const core = process.env.MEMCACHE_NATIVE === '0' ? 'pure-TS core' : 'native core';
    const protocol = `protocol ${process.env.MEMCACHE_PROTOCOL || 'auto'}`;
    process.stdout.write(`\n(${core}, ${protocol})\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
