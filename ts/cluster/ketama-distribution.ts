/**
 * 'ketama' and 'ketama-spy': the core's consistent ring. A dead server is given weight 0, which
 * the core leaves out entirely, so the failover ring is the one libmemcached rebuilds when it
 * ejects a server (auto-eject): with equal weights only the dead server's keys move; with unequal
 * weights libmemcached's point formula also shifts a few keys between live servers, and so do we.
 */
import { core, type RingFormat } from '../core/index.js';
import type { Router } from './distribution.js';
import { KeyPacker } from './key-batch.js';
import type { ServerAddress } from './server-spec.js';

export function ketamaRouter(servers: readonly ServerAddress[], format: RingFormat, alive: readonly boolean[] | undefined): Router {
  const ring = core.createRing(
    servers.map(({ endpoint, weight }, i) => {
      const live = alive === undefined || alive[i] ? weight : 0;
      // A unix socket's point string is its path with port 0, as libmemcached writes it.
      return endpoint.kind === 'tcp' ? { host: endpoint.host, port: endpoint.port, weight: live } : { host: endpoint.path, port: 0, weight: live };
    }),
    format,
  );
  const packer = new KeyPacker();
  return {
    route: (key) => ring.lookup(packer.one(key)),
    routeMany(keys, out) {
      const { bytes, offsets } = packer.pack(keys);
      ring.lookupBatch(bytes, offsets, out);
    },
  };
}
