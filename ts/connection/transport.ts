/** Socket creation for the three transports: TCP (IPv4, IPv6, host names), unix sockets, TLS. */
import net from 'node:net';
import tls from 'node:tls';

/** Where a server listens. IPv6 hosts are written without brackets. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export interface OpenedSocket {
  readonly socket: net.Socket;
  /** The event after which the socket can carry commands. */
  readonly readyEvent: 'connect' | 'secureConnect';
}

/** Starts connecting; `tlsOptions` set means TLS (memcached `-Z`). Nagle is off: commands are written whole. */
export function openSocket(endpoint: Endpoint, tlsOptions: tls.ConnectionOptions | undefined): OpenedSocket {
  const target = endpoint.kind === 'tcp' ? { host: endpoint.host, port: endpoint.port } : { path: endpoint.path };
  if (tlsOptions === undefined) {
    const socket = net.connect(target);
    socket.setNoDelay(true);
    return { socket, readyEvent: 'connect' };
  }
  const servername = endpoint.kind === 'tcp' && net.isIP(endpoint.host) === 0 ? endpoint.host : undefined;
  const socket = tls.connect({ servername, ...tlsOptions, ...target });
  socket.setNoDelay(true);
  return { socket, readyEvent: 'secureConnect' };
}
