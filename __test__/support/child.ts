/**
 * Code run in a child Node process, bundled with esbuild, the native binding and msgpackr left to
 * load at run time: `runChild` runs a TypeScript snippet (imports relative to __test__/), for what
 * only a process of its own can show (that it exits once the client is closed, with no handle
 * left behind); the demo test lays out the package with `bundleForNode` and `linkRuntimeModules`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles `input` (an entry point or a TypeScript snippet) into one ESM file for Node 20 and
 * returns its code. The native binding and msgpackr stay outside, loaded at run time from the
 * `node_modules` that `linkRuntimeModules` made beside the file.
 */
export async function bundleForNode(input: Pick<BuildOptions, 'entryPoints' | 'stdin'>): Promise<string> {
  const result = await build({
    ...input,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['memcache-native/binding', 'msgpackr'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** Makes `dir/node_modules` with what a bundle loads at run time: this package (for its binding) and msgpackr. */
export function linkRuntimeModules(dir: string): void {
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO, path.join(dir, 'node_modules', 'memcache-native'));
  symlinkSync(path.join(REPO, 'node_modules', 'msgpackr'), path.join(dir, 'node_modules', 'msgpackr'));
}

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  /** ms from the first stdout line equal to `marker` to the process's exit; undefined without one. */
  readonly exitAfterMarker: number | undefined;
}

export async function runChild(source: string, env: Record<string, string>, marker: string, killAfterMs: number): Promise<ChildRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mc-child-'));
  linkRuntimeModules(dir);
  try {
    const file = path.join(dir, 'child.mjs');
    writeFileSync(file, await bundleForNode({ stdin: { contents: source, loader: 'ts', resolveDir: path.join(REPO, '__test__') } }));
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let stdout = '';
    let markedAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (markedAt === undefined && stdout.split('\n').includes(marker)) markedAt = performance.now();
    });
    const kill = setTimeout(() => {
      describeStuck(child.pid);
      child.kill('SIGKILL');
    }, killAfterMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const exitedAt = performance.now();
    clearTimeout(kill);
    return { code, stdout, exitAfterMarker: markedAt === undefined ? undefined : exitedAt - markedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Before a child that outlived its time is killed: each of its threads' state, CPU ticks and
 * kernel wait (Linux /proc), so a run that hung says whether it spun or waited, and where.
 */
function describeStuck(pid: number | undefined): void {
  const dir = `/proc/${pid}/task`;
  if (pid === undefined || !existsSync(dir)) return;
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const lines = readdirSync(dir).map((tid) => {
    const stat = read(`${dir}/${tid}/stat`).split(') ').at(-1)?.split(' ') ?? [];
    const stack = read(`${dir}/${tid}/stack`).split('\n').slice(0, 6).join(' < ');
    return `  ${read(`${dir}/${tid}/comm`)} (${tid}): state ${stat[0]}, utime ${stat[11]}, stime ${stat[12]}, wchan ${read(`${dir}/${tid}/wchan`)}; ${stack}`;
  });
  console.error(`child ${pid} outlived its time; its threads:\n${lines.join('\n')}`);
}

/**
 * The snippet a chaos run's child process runs (for runChild): `run` imported from `module`
 * (relative to __test__/) is called with the JSON in the `configEnv` variable; its figures, with
 * the unhandled rejections counted, are printed as one JSON line, then `closed`. Nothing should
 * hold the process after that: a timer that holds nothing itself says what does, 5 s on.
 */
export function chaosChild(module: string, run: string, configEnv: string, label: string): string {
  return `
    import { ${run} } from '${module}';
    let unhandled = 0;
    process.on('unhandledRejection', (e) => { unhandled++; console.error('unhandled rejection', e); });
    const figures = await ${run}(JSON.parse(process.env.${configEnv}));
    figures.unhandled += unhandled;
    process.stdout.write(JSON.stringify(figures) + '\\n');
    process.stdout.write('closed\\n');
    setTimeout(() => console.error('${label} child still running 5 s after close(), held by:', process.getActiveResourcesInfo()), 5000).unref();
  `;
}
