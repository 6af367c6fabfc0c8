/**
 * Another process's command, slipped in between two of the client's: a TCP proxy in front of a
 * real memcached that forwards the client's command lines one by one and, after the first that
 * matches `after`, holds the rest until `command` (sent on a connection of its own, as another
 * process would) has been answered. For races that need a step of someone else's at one exact
 * place in the client's stream.
 */
import net from 'node:net';
import type { MemcachedServer } from './memcached.js';
import { raw } from './raw.js';

export interface InterleaveProxy {
  readonly spec: string;
  /** The other process's reply, once its command ran. */
  readonly injected: Promise<string>;
  close(): Promise<void>;
}

export async function startInterleaveProxy(server: MemcachedServer, after: RegExp, command: string): Promise<InterleaveProxy> {
  const sockets = new Set<net.Socket>();
  let ran = false;
  let reportInjected!: (reply: string) => void;
  const injected = new Promise<string>((resolve) => (reportInjected = resolve));
  const proxy = net.createServer((client) => {
    const upstream = net.connect(server.port, server.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
    }
    let pending = Buffer.alloc(0);
    let holding = false;
    const forward = (): void => {
      for (let end = pending.indexOf('\r\n'); !holding && end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.subarray(0, end + 2);
        pending = pending.subarray(end + 2);
        upstream.write(line);
        if (ran || !after.test(line.toString('latin1'))) continue;
        ran = holding = true;
        void raw(server, command).then((reply) => {
          reportInjected(reply.toString('latin1').trim());
          holding = false;
          forward();
        });
      }
    };
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      forward();
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    spec: `127.0.0.1:${port}`,
    injected,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
