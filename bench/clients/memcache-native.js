// Our client, from the built package (dist/). The core is chosen at import by MEMCACHE_NATIVE,
// which the parent sets per child process; this adapter checks the child got the one it asked for.
// The protocol is set explicitly ('meta' fails to connect to a server without the meta protocol,
// so a meta row is never text in disguise). `options`, where given, are passed to the Client over
// these defaults (the latency benchmark turns compression off, or moves the codec off the thread).
const COMPRESSION_THRESHOLD = 1024;
/** A file of our build: dist/, or the folder BENCH_DIST names at the repository's root (A/B runs, bench/drive.js). */
export const ourBuild = (file) => new URL(`../../${process.env.BENCH_DIST ?? 'dist'}/${file}`, import.meta.url).href;

function missInBenchmark() {
  throw new Error('fetch missed: every key was loaded before measuring');
}

export function createAdapter(wantedCore, protocol, options = {}) {
  let client;
  return {
    name: `memcache-native (${wantedCore}, ${protocol})`,
    async connect(servers) {
      const { Client, coreKind } = await import(ourBuild('index.js'));
      if (coreKind !== wantedCore) throw new Error(`asked for the ${wantedCore} core, got ${coreKind}`);
      client = new Client(servers, { compressionThreshold: COMPRESSION_THRESHOLD, protocol, ...options });
    },
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getMulti: (keys) => client.getMulti(keys),
    // Every key is loaded before the clock starts: a loader call would be a miss, and fails the case.
    fetch: (key) => client.fetch(key, missInBenchmark, { ttl: 3600 }),
    async close() { await client?.close(); },
    value: (result) => result?.toString(),
    multiValue: (results, key) => results.get(key)?.toString(),
  };
}
