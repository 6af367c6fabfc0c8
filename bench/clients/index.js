// The clients the benchmark compares, each measured in its own child process. `env` is set on
// that child; `role` says how the report treats it (ours, a peer, or the raw floor).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLIENTS = [
  { id: 'native', label: 'memcache-native (native core)', role: 'ours', env: { MEMCACHE_NATIVE: '1' } },
  { id: 'ts', label: 'memcache-native (pure-TS core)', role: 'ours', env: { MEMCACHE_NATIVE: '0' } },
  { id: 'memjs', label: 'memjs', role: 'peer' },
  { id: 'memcached', label: 'memcached', role: 'peer' },
  { id: 'memcache-client', label: 'memcache-client', role: 'peer' },
  { id: 'floor', label: 'raw socket floor', role: 'floor' },
];

/** Whether our package has been built (`npm run build`); without it only peers and floor run. */
export function oursBuilt() {
  return existsSync(fileURLToPath(new URL('../../dist/index.js', import.meta.url)));
}

/** A fresh adapter for client `id`, loaded only in the child that measures it. */
export async function createAdapter(id) {
  switch (id) {
    case 'native':
    case 'ts': return (await import('./memcache-native.js')).createAdapter(id);
    case 'memjs': return (await import('./memjs.js')).createAdapter();
    case 'memcached': return (await import('./memcached.js')).createAdapter();
    case 'memcache-client': return (await import('./memcache-client.js')).createAdapter();
    case 'floor': return (await import('../raw-floor.js')).createFloor();
    default: throw new Error(`unknown client ${id}`);
  }
}
