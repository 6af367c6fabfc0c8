/**
 * Runs a TypeScript snippet in a child Node process: bundled with esbuild (imports relative to
 * __test__/), the native binding and msgpackr left to load at run time. For what only a process
 * of its own can show: that it exits once the client is closed, with no handle left behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  /** ms from the first stdout line equal to `marker` to the process's exit; undefined without one. */
  readonly exitAfterMarker: number | undefined;
}

export async function runChild(source: string, env: Record<string, string>, marker: string, killAfterMs: number): Promise<ChildRun> {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mc-child-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repo, path.join(dir, 'node_modules', 'memcache-native'));
  symlinkSync(path.join(repo, 'node_modules', 'msgpackr'), path.join(dir, 'node_modules', 'msgpackr'));
  try {
    const result = await build({
      stdin: { contents: source, loader: 'ts', resolveDir: path.join(repo, '__test__') },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['memcache-native/binding', 'msgpackr'],
      write: false,
      logLevel: 'silent',
    });
    const file = path.join(dir, 'child.mjs');
    writeFileSync(file, result.outputFiles[0].text);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let stdout = '';
    let markedAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (markedAt === undefined && stdout.split('\n').includes(marker)) markedAt = performance.now();
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const exitedAt = performance.now();
    clearTimeout(kill);
    return { code, stdout, exitAfterMarker: markedAt === undefined ? undefined : exitedAt - markedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
