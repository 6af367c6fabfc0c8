#!/usr/bin/env node
/**
 * `npm run demo`: rebuilds dist/ (tsup, several seconds) only when it is older than a source that
 * goes into it, then runs the tour, examples/demo.js, which takes under 2 s by itself.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What tsup reads: the sources, its config, and package.json (whose dependencies stay external). */
const INPUTS = ['ts', 'tsup.config.ts', 'tsconfig.json', 'package.json'];
/** The file the demo imports; every build writes it anew. */
const OUTPUT = 'dist/index.js';

/** The newest mtime (ms) under `file`, a file or a folder. */
function newest(file) {
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

function builtAt() {
  try {
    return statSync(path.join(ROOT, OUTPUT)).mtimeMs;
  } catch {
    return -Infinity;
  }
}

function build() {
  const { bin } = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'tsup', 'package.json'), 'utf8'));
  const tsup = path.join(ROOT, 'node_modules', 'tsup', typeof bin === 'string' ? bin : bin.tsup);
  const { status } = spawnSync(process.execPath, [tsup, '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}

if (Math.max(...INPUTS.map((input) => newest(path.join(ROOT, input)))) > builtAt()) build();
await import('../examples/demo.js');
