// memcache-client (electrode) in its default configuration: text protocol, one socket, promise
// API; `get` with an array of keys is its multi-get. It treats several servers as failover
// replicas, not shards, so for the three-server cases this adapter keeps one client per server
// and picks one by an FNV-1a hash of the key, the least any sharding layer would add.
import memcacheClient from 'memcache-client';

const { MemcacheClient } = memcacheClient;

function fnv1a(key) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Splits `keys` by shard: one array per client, in key order. */
function groupByShard(keys, count) {
  const groups = Array.from({ length: count }, () => []);
  for (const key of keys) groups[fnv1a(key) % count].push(key);
  return groups;
}

export function createAdapter() {
  let shards = [];
  const pick = (key) => (shards.length === 1 ? shards[0] : shards[fnv1a(key) % shards.length]);
  const getMultiSharded = (keys) => Promise.all(
    groupByShard(keys, shards.length).flatMap((group, i) => (group.length ? [shards[i].get(group)] : [])),
  );
  return {
    name: 'memcache-client',
    async connect(servers) { shards = servers.map((server) => new MemcacheClient({ server })); },
    get: (key) => pick(key).get(key),
    set: (key, value) => pick(key).set(key, value),
    getMulti: (keys) => (shards.length === 1 ? shards[0].get(keys) : getMultiSharded(keys)),
    async close() { for (const shard of shards) shard.shutdown(); },
    value: (result) => result?.value?.toString(),
    multiValue: (results, key) => {
      const found = Array.isArray(results) ? results.find((r) => r[key]) : results;
      return found?.[key]?.value?.toString();
    },
  };
}
