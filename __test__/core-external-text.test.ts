/**
 * The native core hands long ASCII text to V8 as external strings over Rust memory. V8 does not
 * count that memory towards collecting garbage unless told, and then a read loop grows without
 * bound: this runs such a loop in a process of its own and checks its memory stays flat.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { native } from './support/cores.js';

const BINDING = fileURLToPath(new URL('../native/index.cjs', import.meta.url));

const LOOP = `
const binding = require(${JSON.stringify(BINDING)});
const { deflateSync } = require('node:zlib');
const text = '{"id":1,"name":"item"},'.repeat(12 * 1024); // ~270 KB of ASCII
const packed = deflateSync(Buffer.from(text));
let maxRss = 0;
for (let i = 0; i < 4000; i++) {
  const out = binding.decompressText(packed, 1 << 20);
  if (out.length !== text.length) throw new Error('wrong length');
  if (i % 100 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
}
process.stdout.write(JSON.stringify({ maxRss, sample: binding.decompressText(packed, 1 << 20) === text }));
`;

it.skipIf(native.core === undefined)('reading 1 GB of long text as external strings keeps memory flat', () => {
  const { maxRss, sample } = JSON.parse(execFileSync(process.execPath, ['-e', LOOP], { encoding: 'utf8' })) as { maxRss: number; sample: boolean };
  expect(sample).toBe(true);
  // Uncounted, the same loop held over 1 GB of dead strings.
  expect(maxRss).toBeLessThan(400 * 1024 * 1024);
});
