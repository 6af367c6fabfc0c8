#!/usr/bin/env node
// The long fuzz run (the test suite runs a short one): the TS decoding path under fast-check on
// both cores, the Rust scanner's property tests, and, with FUZZ_SECONDS and a nightly toolchain,
// the libFuzzer target in crates/memcache-core/fuzz.
//
//   FUZZ_RUNS=20000 npm run fuzz              fast-check runs per cheap property (socket ones: a tenth);
//                                             proptest cases: ten times as many
//   FUZZ_SECONDS=300 npm run fuzz             also libFuzzer for that long (cargo +nightly)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));
const runs = Number(process.env.FUZZ_RUNS ?? 5000);
const seconds = Number(process.env.FUZZ_SECONDS ?? 0);

function run(what, command, args, env = {}, cwd = repo) {
  console.log(`\n== ${what}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`fuzz: ${what} failed`);
    process.exit(result.status ?? 1);
  }
}

for (const native of ['1', '0']) {
  run(`TS decoding, ${native === '1' ? 'native' : 'pure-TS'} core, FUZZ_RUNS=${runs}`, 'npx', ['vitest', 'run', '__test__/fuzz-decoding.test.ts'], {
    FUZZ_RUNS: String(runs),
    MEMCACHE_NATIVE: native,
  });
}
run(`Rust scanner properties, PROPTEST_CASES=${runs * 10}`, 'cargo', ['test', '--release', '-p', 'memcache-core', '--test', 'scan_props'], {
  PROPTEST_CASES: String(runs * 10),
});
if (seconds > 0) {
  // What `cargo fuzz run scan` does, without needing cargo-fuzz installed.
  const fuzz = `${repo}crates/memcache-core/fuzz`;
  const target = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu`;
  const rustflags = [
    '-Cpasses=sancov-module',
    '-Cllvm-args=-sanitizer-coverage-level=4',
    '-Cllvm-args=-sanitizer-coverage-inline-8bit-counters',
    '-Cllvm-args=-sanitizer-coverage-pc-table',
    '-Cllvm-args=-sanitizer-coverage-trace-compares',
    '--cfg',
    'fuzzing',
    '-Cdebug-assertions',
  ].join(' ');
  run('libFuzzer target: build', 'cargo', ['+nightly', 'build', '--release', '--bin', 'scan', '--target', target], { RUSTFLAGS: rustflags }, fuzz);
  mkdirSync(`${fuzz}/corpus/scan`, { recursive: true });
  run(`libFuzzer target: ${seconds} s`, `${fuzz}/target/${target}/release/scan`, [`${fuzz}/corpus/scan`, `-max_total_time=${seconds}`, '-rss_limit_mb=2048'], {}, fuzz);
}
console.log('\nfuzz: no failure');
