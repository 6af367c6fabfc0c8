// memjs (binary protocol) in its default configuration. It has no multi-get, so its best
// equivalent is the same keys as concurrent single gets, which memjs pipelines on one socket.
import memjs from 'memjs';

/** Resolves with memjs's callback result; one promise per op, as its own promise form makes. */
function call(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export function createAdapter() {
  let client;
  return {
    name: 'memjs',
    async connect(servers) {
      client = memjs.Client.create(servers.join(','), { logger: { log() {} } });
    },
    get: (key) => call((done) => client.get(key, done)),
    set: (key, value) => call((done) => client.set(key, value, {}, done)),
    getMulti: (keys) => Promise.all(keys.map((key) => call((done) => client.get(key, done)))),
    async close() { client?.close(); },
    value: (result) => result?.toString(),
    multiValue: (results, key, index) => results[index]?.toString(),
  };
}
