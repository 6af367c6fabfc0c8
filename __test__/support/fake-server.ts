/**
 * A scripted stand-in for memcached: accepts connections and lets the test decide what (if
 * anything) to answer. For timeouts, stalls, late and malformed replies. It speaks text only:
 * a client's `mn` (do you speak meta?) gets `ERROR`, outside the script.
 */
import net from 'node:net';

export interface FakeServer {
  readonly spec: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Every byte received, per connection, as latin1 text. */
  readonly received: string[];
  close(): Promise<void>;
}

/**
 * `onData` runs for every chunk received; `connection` counts from 0. Omit it for a server that
 * never answers. With `meta`, the server says it speaks meta (`MN` to the client's `mn`), and the
 * script answers the meta commands.
 */
export async function startFakeServer(
  onData?: (socket: net.Socket, data: Buffer, connection: number) => void,
  { meta = false }: { meta?: boolean } = {},
): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  let accepted = 0;
  const server = net.createServer((socket) => {
    const connection = accepted++;
    received[connection] = '';
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let first = true;
    socket.on('data', (data) => {
      // A client asks a new server whether it speaks meta (`mn`) before anything else: this one
      // answers as a text-only server (memcached before 1.6) does, and keeps it out of the script.
      if (first && data.toString('latin1') === 'mn\r\n') {
        first = false;
        socket.write(meta ? 'MN\r\n' : 'ERROR\r\n');
        return;
      }
      first = false;
      received[connection] += data.toString('latin1');
      onData?.(socket, data, connection);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    spec: `127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `condition` holds (polled), or rejects after `ms`. */
export async function eventually(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
