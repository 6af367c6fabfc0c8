// The clients the benchmark compares, each measured in its own child process. `env` is set on
// that child; `role` says how the report treats it (ours, a peer, or a raw floor). Ours run on
// each core and each protocol; `cases`, where given, limits a client to those cases; `fetch` marks
// the clients that run the fetch case (ours on meta, and the floor that bounds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NATIVE = { MEMCACHE_NATIVE: '1' };
const PURE_TS = { MEMCACHE_NATIVE: '0' };

export const CLIENTS = [
  { id: 'native-meta', label: 'memcache-native (native core, meta)', role: 'ours', core: 'native', protocol: 'meta', env: NATIVE, fetch: true },
  { id: 'native-text', label: 'memcache-native (native core, text)', role: 'ours', core: 'native', protocol: 'text', env: NATIVE },
  { id: 'ts-meta', label: 'memcache-native (pure-TS core, meta)', role: 'ours', core: 'ts', protocol: 'meta', env: PURE_TS, fetch: true },
  { id: 'ts-text', label: 'memcache-native (pure-TS core, text)', role: 'ours', core: 'ts', protocol: 'text', env: PURE_TS },
  { id: 'memjs', label: 'memjs', role: 'peer' },
  { id: 'memcached', label: 'memcached', role: 'peer' },
  { id: 'memcache-client', label: 'memcache-client', role: 'peer' },
  { id: 'floor', label: 'raw socket floor (text)', short: 'text floor', role: 'floor', dialect: 'text' },
  { id: 'floor-meta', label: 'raw socket floor (quiet meta)', short: 'quiet-meta floor', role: 'floor', dialect: 'meta', cases: ['concurrent-set'] },
  { id: 'floor-mg', label: 'raw socket floor (pipelined mg)', short: 'mg floor', role: 'floor', dialect: 'mg', cases: ['concurrent-fetch'], fetch: true },
];

/** Whether our package has been built (`npm run build`); without it only peers and floors run. */
export function oursBuilt() {
  return existsSync(fileURLToPath(new URL('../../dist/index.js', import.meta.url)));
}

/** A fresh adapter for client `id`, loaded only in the child that measures it. */
export async function createAdapter(id) {
  const spec = CLIENTS.find((c) => c.id === id);
  if (!spec) throw new Error(`unknown client ${id}`);
  if (spec.role === 'ours') return (await import('./memcache-native.js')).createAdapter(spec.core, spec.protocol);
  if (spec.role === 'floor') return (await import('../raw-floor.js')).createFloor(spec.dialect);
  switch (id) {
    case 'memjs': return (await import('./memjs.js')).createAdapter();
    case 'memcached': return (await import('./memcached.js')).createAdapter();
    case 'memcache-client': return (await import('./memcache-client.js')).createAdapter();
    default: throw new Error(`no adapter for client ${id}`);
  }
}
