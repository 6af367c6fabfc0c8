#!/usr/bin/env node
/**
 * Local proof of the published packages, for linux-x64-gnu (run after `npm run build`):
 *
 * 1. `npm pack` the linux-x64-gnu package (npm/linux-x64-gnu plus the built .node) and the main
 *    package, with the root `optionalDependencies` that `napi pre-publish` adds at release;
 *    print both sizes; check the main tarball holds no tests, sources or maps.
 * 2. Install both into an empty project with no registry: `--offline`, an empty cache, the
 *    registry pointed at a closed port, msgpackr packed from node_modules. A smoke script imports
 *    the package as ESM and as CJS, sees the native core, and sets and gets a value on a real
 *    memcached; the installed `memcache-native` command does too; TypeScript resolves the types.
 *    The adapters' subpaths, `memcache-native/keyv` and `memcache-native/session`, load as ESM
 *    and as CJS (with keyv and express-session, their optional peers, linked from node_modules),
 *    work on the same memcached, and use the package's own Client (no second copy); each
 *    format's adapters also take a Client of the other format's build. TypeScript takes them
 *    as keyv's KeyvStoreAdapter and express-session's Store.
 * 3. Install the main tarball alone: the same smoke works on the pure-TS core, `nativeLoadError`
 *    says the platform package is not installed (MEMCACHE_NATIVE_NOT_INSTALLED), and
 *    NODE_DEBUG=memcache-native says, in one line, why the native core did not load.
 *
 * Exit code 0 when every step held, 1 otherwise (the reason on stderr).
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLATFORM = 'linux-x64-gnu';
const BINARY = `memcache-native.${PLATFORM}.node`;
/** Nothing listens there: any registry request fails at once. */
const NO_REGISTRY = 'http://127.0.0.1:9';
const started = Date.now();

const log = (line) => console.log(`pack-proof: ${line}`);
const fail = (message) => {
  throw new Error(message);
};
const check = (ok, message) => ok || fail(message);
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/** A child process environment without the test runner's core choice or debug flags. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.MEMCACHE_NATIVE;
  if (extra.NODE_DEBUG === undefined) delete env.NODE_DEBUG;
  for (const name of Object.keys(env)) if (name.startsWith('npm_config_')) delete env[name];
  return env;
}

function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(), ...options });
  } catch (error) {
    fail(`${command} ${args.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
}

/** Like run, but keeps stderr (for NODE_DEBUG). */
function runBoth(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function pack(dir, destination) {
  const [info] = JSON.parse(run('npm', ['pack', dir, '--json', '--ignore-scripts', '--pack-destination', destination]));
  return { ...info, file: path.join(destination, info.filename) };
}

// ---- 0. what the build left ----

if (`${process.platform}-${process.arch}` !== 'linux-x64' || process.report.getReport().header.glibcVersionRuntime === undefined) {
  fail(`this proof is for ${PLATFORM}; this machine is ${process.platform}-${process.arch}`);
}
for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/cli.js', `native/${BINARY}`]) {
  check(existsSync(path.join(ROOT, file)), `${file} is missing: run \`npm run build\` first`);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mc-pack-proof-'));
const platformDir = path.join(ROOT, 'npm', PLATFORM);
let memcached;
try {
  // ---- 1. the tarballs ----

  copyFileSync(path.join(ROOT, 'native', BINARY), path.join(platformDir, BINARY));
  const platformTgz = pack(platformDir, tmp);
  check(
    platformTgz.files.some((f) => f.path === BINARY),
    `the ${PLATFORM} tarball lacks ${BINARY}`,
  );

  // The main package as `napi pre-publish` leaves it: every platform package, same version, optional.
  const rootJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const optionalDependencies = {};
  for (const dir of readdirSync(path.join(ROOT, 'npm')).sort()) {
    const platformJson = JSON.parse(readFileSync(path.join(ROOT, 'npm', dir, 'package.json'), 'utf8'));
    check(platformJson.version === rootJson.version, `npm/${dir} is version ${platformJson.version}, the package ${rootJson.version}: run \`npx napi version\``);
    optionalDependencies[platformJson.name] = platformJson.version;
  }
  check(Object.keys(optionalDependencies).length === rootJson.napi.targets.length, 'npm/ does not hold one package per napi target: run `npx napi create-npm-dirs`');
  const stage = path.join(tmp, 'stage');
  mkdirSync(stage);
  run('tar', ['-xzf', pack(ROOT, stage).file, '-C', stage]);
  const stagedJsonPath = path.join(stage, 'package', 'package.json');
  writeFileSync(stagedJsonPath, `${JSON.stringify({ ...JSON.parse(readFileSync(stagedJsonPath, 'utf8')), optionalDependencies }, null, 2)}\n`);
  const mainTgz = pack(path.join(stage, 'package'), tmp);

  const unwanted = mainTgz.files
    .map((f) => f.path)
    .filter((p) => /^(__test__|ts|crates|scripts|bench|npm|examples|target)\//.test(p) || /\.(rs|map|node|tgz)$/.test(p) || /^Cargo\./.test(p) || (/\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p)));
  check(unwanted.length === 0, `the main tarball holds files it should not: ${unwanted.join(', ')}`);
  const adapterFiles = ['keyv', 'session'].flatMap((name) => ['js', 'cjs', 'd.ts', 'd.cts'].map((ext) => `dist/${name}.${ext}`));
  for (const needed of ['package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'native/index.cjs', ...adapterFiles]) {
    check(mainTgz.files.some((f) => f.path === needed), `the main tarball lacks ${needed}`);
  }
  log(`main tarball ${mainTgz.filename}: ${kB(mainTgz.size)} (${kB(mainTgz.unpackedSize)} unpacked, ${mainTgz.files.length} files: ${mainTgz.files.map((f) => f.path).join(' ')})`);
  log(`platform tarball ${platformTgz.filename}: ${kB(platformTgz.size)} (${kB(platformTgz.unpackedSize)} unpacked)`);
  log(`main tarball's optionalDependencies: ${Object.keys(optionalDependencies).join(', ')} @ ${rootJson.version}`);
  log('main tarball holds no tests, no TS or Rust sources, no maps, no binaries');

  const msgpackrDir = path.join(ROOT, 'node_modules', 'msgpackr');
  const msgpackrTgz = pack(msgpackrDir, tmp);

  // ---- 2. installed with the linux-x64-gnu package ----

  memcached = await startMemcached();
  const server = `127.0.0.1:${memcached.port}`;
  const withNative = project('with-native', [mainTgz.file, platformTgz.file, msgpackrTgz.file]);
  for (const [flavour, file] of [['ESM', 'smoke.mjs'], ['CJS', 'smoke.cjs']]) {
    const result = JSON.parse(run('node', [file, server, flavour], { cwd: withNative }));
    check(result.coreKind === 'native', `${flavour}: the core is ${result.coreKind}, not native`);
    check(result.nativeLoadError === undefined, `${flavour}: nativeLoadError is ${result.nativeLoadError} with the native core`);
    check(result.roundTrip, `${flavour}: set then get did not return the value`);
    log(`with ${PLATFORM}: ${flavour} import, core ${result.coreKind}, set/get on memcached ${server} ok`);
  }
  linkPeers(withNative);
  for (const [flavour, file] of [['ESM', 'adapters.mjs'], ['CJS', 'adapters.cjs']]) {
    const result = JSON.parse(run('node', [file, server, flavour], { cwd: withNative }));
    check(result.keyv && result.cleared, `${flavour}: memcache-native/keyv did not set, get and clear through Keyv: ${JSON.stringify(result)}`);
    check(result.session, `${flavour}: memcache-native/session did not set and get a session: ${JSON.stringify(result)}`);
    check(result.sameClient, `${flavour}: the adapters carry a second copy of the client (their Client is not the package's)`);
    log(`with ${PLATFORM}: ${flavour} import of memcache-native/keyv and memcache-native/session, on the package's own Client, ok`);
    check(result.crossed, `${flavour}: the other format's adapters refused this format's Client, or did not work on it: ${JSON.stringify(result)}`);
    log(`with ${PLATFORM}: the other format's adapters on a Client of the ${flavour} build, ok`);
  }
  const bin = path.join(withNative, 'node_modules', '.bin', 'memcache-native');
  const version = run(bin, ['--version'], { cwd: withNative }).trim();
  check(version.endsWith('(native core)'), `memcache-native --version says ${JSON.stringify(version)}`);
  run(bin, ['--servers', server, 'set', 'proof:cli', 'from the command line'], { cwd: withNative });
  check(run(bin, ['--servers', server, 'get', 'proof:cli'], { cwd: withNative }) === 'from the command line\n', 'the installed CLI did not get what it set');
  log(`with ${PLATFORM}: bin \`memcache-native\` works: ${version}`);
  typecheck(withNative);
  log(`with ${PLATFORM}: TypeScript resolves the types for import and require (module nodenext)`);

  // ---- 3. the main tarball alone ----

  const alone = project('main-only', [mainTgz.file, msgpackrTgz.file]);
  check(!existsSync(path.join(alone, 'node_modules', `memcache-native-${PLATFORM}`)), 'the platform package was installed from nowhere');
  for (const [flavour, file] of [['ESM', 'smoke.mjs'], ['CJS', 'smoke.cjs']]) {
    const { code, stdout, stderr } = await runBoth('node', [file, server, flavour], { cwd: alone, env: cleanEnv({ NODE_DEBUG: 'memcache-native' }) });
    check(code === 0, `${flavour} without the platform package failed:\n${stdout}${stderr}`);
    const result = JSON.parse(stdout);
    check(result.coreKind === 'ts', `${flavour}: the core is ${result.coreKind}, not ts`);
    check(result.nativeLoadError === 'MEMCACHE_NATIVE_NOT_INSTALLED', `${flavour}: nativeLoadError is ${result.nativeLoadError}, not MEMCACHE_NATIVE_NOT_INSTALLED`);
    check(result.roundTrip, `${flavour}: set then get did not return the value`);
    const coreLines = stderr.split('\n').filter((line) => /^MEMCACHE-NATIVE \d+: .*core/.test(line));
    check(coreLines.length === 1, `${flavour}: expected one debug line about the core, got:\n${stderr}`);
    check(coreLines[0].includes(`memcache-native-${PLATFORM}`), `${flavour}: the debug line does not name the missing package: ${coreLines[0]}`);
    log(`main tarball alone: ${flavour} import, core ${result.coreKind} (nativeLoadError ${result.nativeLoadError}), set/get ok`);
    if (flavour === 'ESM') log(`main tarball alone: NODE_DEBUG=memcache-native says: ${coreLines[0]}`);
  }
  log(`ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  rmSync(path.join(platformDir, BINARY), { force: true });
  await memcached?.stop();
  rmSync(tmp, { recursive: true, force: true });
}

/** An empty project with `tarballs` installed, offline, from an empty cache, and the smoke scripts. */
function project(name, tarballs) {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `proof-${name}`, version: '1.0.0', private: true })}\n`);
  const flags = ['--offline', '--no-audit', '--no-fund', '--ignore-scripts', `--registry=${NO_REGISTRY}`, `--cache=${path.join(tmp, `cache-${name}`)}`];
  run('npm', ['install', ...flags, ...tarballs], { cwd: dir });
  const smoke = (load) => `${load}
const [server, flavour] = process.argv.slice(2);
const client = new Client(server, { timeout: 2000 });
const key = 'proof:' + flavour + ':' + process.pid;
const value = { flavour, at: Date.now(), bytes: Buffer.from([0, 1, 2]) };
(async () => {
  await client.set(key, value);
  const back = await client.get(key);
  await client.close();
  const roundTrip = back?.flavour === value.flavour && back.at === value.at && Buffer.compare(back.bytes, value.bytes) === 0;
  console.log(JSON.stringify({ coreKind, nativeLoadError: nativeLoadError?.code, roundTrip }));
})().catch((error) => { console.error(error); process.exit(1); });
`;
  writeFileSync(path.join(dir, 'smoke.mjs'), smoke("import { Client, coreKind, nativeLoadError } from 'memcache-native';"));
  writeFileSync(path.join(dir, 'smoke.cjs'), smoke("const { Client, coreKind, nativeLoadError } = require('memcache-native');"));
  // `other`: the other format's adapters (an ESM app may hand its Client to CommonJS middleware).
  const adapters = (load, other) => `${load}
const [server, flavour] = process.argv.slice(2);
const promised = (run) => new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
(async () => {
  const client = new Client(server, { timeout: 2000 });
  const keyv = new Keyv({ store: new KeyvMemcache(client), namespace: 'proof-' + flavour + '-' + process.pid });
  await keyv.set('k', { flavour });
  const got = await keyv.get('k');
  await keyv.clear();
  const cleared = (await keyv.get('k')) === undefined;
  const owned = new KeyvMemcache(server);
  const sameClient = owned.client instanceof Client;
  await owned.disconnect();
  const store = new MemcacheStore({ client, prefix: 'proof-sess:' });
  const sid = flavour + '-' + process.pid;
  await promised((cb) => store.set(sid, { cookie: { originalMaxAge: 60000, maxAge: 60000 }, n: 1 }, cb));
  const back = await promised((cb) => store.get(sid, cb));
  const { OtherKeyv, OtherStore } = await ${other};
  const crossedKeyv = new OtherKeyv(client, { namespace: 'proof-cross-' + flavour + '-' + process.pid });
  await crossedKeyv.set('k', 'crossed');
  const crossedStore = new OtherStore({ client, prefix: 'proof-cross-sess:' });
  await promised((cb) => crossedStore.set(sid, { cookie: { originalMaxAge: 60000, maxAge: 60000 }, n: 2 }, cb));
  const crossed = (await crossedKeyv.get('k')) === 'crossed' && (await promised((cb) => crossedStore.get(sid, cb)))?.n === 2;
  await client.close();
  console.log(JSON.stringify({ keyv: got?.flavour === flavour, cleared, sameClient: sameClient && store.client === client, session: back?.n === 1, crossed }));
})().catch((error) => { console.error(error); process.exit(1); });
`;
  writeFileSync(
    path.join(dir, 'adapters.mjs'),
    adapters(
      "import { createRequire } from 'node:module';\nimport { Client } from 'memcache-native';\nimport { KeyvMemcache } from 'memcache-native/keyv';\nimport { MemcacheStore } from 'memcache-native/session';\nimport Keyv from 'keyv';\nconst require = createRequire(import.meta.url);",
      "{ OtherKeyv: require('memcache-native/keyv').KeyvMemcache, OtherStore: require('memcache-native/session').MemcacheStore }",
    ),
  );
  writeFileSync(
    path.join(dir, 'adapters.cjs'),
    adapters(
      "const { Client } = require('memcache-native');\nconst { KeyvMemcache } = require('memcache-native/keyv');\nconst { MemcacheStore } = require('memcache-native/session');\nconst { Keyv } = require('keyv');",
      "Promise.all([import('memcache-native/keyv'), import('memcache-native/session')]).then(([k, s]) => ({ OtherKeyv: k.KeyvMemcache, OtherStore: s.MemcacheStore }))",
    ),
  );
  return dir;
}

/**
 * The adapters' optional peers (and the types of express-session), linked from this checkout's
 * node_modules: the proof installs offline, and their own dependencies resolve from there.
 */
function linkPeers(dir) {
  for (const name of ['keyv', 'express-session', '@types']) {
    const target = path.join(dir, 'node_modules', name);
    if (!existsSync(target)) symlinkSync(path.join(ROOT, 'node_modules', name), target, 'dir');
  }
}

/** TypeScript (the repo's) checks an ESM and a CJS consumer against the installed types. */
function typecheck(dir) {
  const use = "const client: Client = new Client(['127.0.0.1:11211']);\nconst kind: 'native' | 'ts' = coreKind;\nvoid client.get<string>('k');\nvoid kind;\n";
  // The adapters' types take the package's Client (one declaration, not a copy of it).
  // And they are what keyv and express-session type their stores as (a drop-in for typed code too).
  const useAdapters =
    "const store: KeyvMemcache = new KeyvMemcache(client, { namespace: 'n' });\nconst sessions: MemcacheStore = new MemcacheStore({ client, prefix: 'p:' });\nvoid store.getMany(['a']);\nvoid sessions.client;\n" +
    "const asKeyvStore: KeyvStoreAdapter = store;\nconst asSessionStore: Store = sessions;\nconst stored: Promise<boolean[]> = store.setMany([]);\nvoid asKeyvStore;\nvoid asSessionStore;\nvoid stored;\n";
  const peerTypes = "import type { KeyvStoreAdapter } from 'keyv';\nimport type { Store } from 'express-session';\n";
  writeFileSync(
    path.join(dir, 'types.mts'),
    `import { Client, coreKind } from 'memcache-native';\nimport { KeyvMemcache } from 'memcache-native/keyv';\nimport { MemcacheStore } from 'memcache-native/session';\n${peerTypes}${use}${useAdapters}`,
  );
  writeFileSync(
    path.join(dir, 'types.cts'),
    `import mc = require('memcache-native');\nimport kv = require('memcache-native/keyv');\nimport ss = require('memcache-native/session');\nconst { Client, coreKind } = mc;\ntype Client = mc.Client;\nconst { KeyvMemcache } = kv;\ntype KeyvMemcache = kv.KeyvMemcache;\nconst { MemcacheStore } = ss;\ntype MemcacheStore = ss.MemcacheStore;\n${peerTypes}${use}${useAdapters}`,
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const typeRoots = path.join(ROOT, 'node_modules', '@types');
  run('node', [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--typeRoots', typeRoots, '--types', 'node', 'types.mts', 'types.cts'], { cwd: dir });
}

async function startMemcached() {
  const port = await new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(process.env.MEMCACHED_BIN ?? 'memcached', [...user, '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16'], { stdio: 'ignore' });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) break;
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
    });
    if (ok) return { port, stop };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await stop();
  return fail(`memcached did not start on port ${port} (is it on PATH?)`);
}
