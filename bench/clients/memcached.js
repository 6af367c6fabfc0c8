// `memcached` (3rd-Eden) in its default configuration: text protocol, a pool of up to 10
// sockets per server, ketama distribution, callback API (wrapped once per op).
import Memcached from 'memcached';

export function createAdapter() {
  let client;
  const call = (fn) => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
  return {
    name: 'memcached',
    async connect(servers) { client = new Memcached(servers); },
    get: (key) => call((done) => client.get(key, done)),
    set: (key, value) => call((done) => client.set(key, value, 0, done)),
    getMulti: (keys) => call((done) => client.getMulti(keys, done)),
    async close() { client?.end(); },
    value: (result) => result?.toString(),
    multiValue: (results, key) => results[key]?.toString(),
  };
}
