/**
 * Another process's commands, slipped in between the client's: a TCP proxy in front of a real
 * memcached that forwards the client's command lines one by one and runs each armed step's `command`
 * (on a connection of its own, as another process would) once, right after the first line matching
 * its `after`, or right before the first matching its `before`, holding the client's later lines
 * until it has been answered. Replies may be held `replyDelay` ms, so the client sends more before
 * it hears back. For races that need someone else's steps at exact places in the client's stream.
 */
import net from 'node:net';
import type { MemcachedServer } from './memcached.js';
import { raw } from './raw.js';

export interface InterleaveStep {
  readonly after?: RegExp;
  readonly before?: RegExp;
  /** The other process's command; none with `cut`. */
  readonly command?: string;
  /** Instead: the client's connection is cut there (the line never reaches memcached). */
  readonly cut?: boolean;
}

export interface InterleaveProxy {
  readonly spec: string;
  /** The other process's replies, in the order its commands ran. */
  readonly replies: string[];
  /** Steps to take from now on (each once). */
  arm(steps: readonly InterleaveStep[]): void;
  close(): Promise<void>;
}

export async function startInterleaveProxy(server: MemcachedServer, replyDelay = 0): Promise<InterleaveProxy> {
  const sockets = new Set<net.Socket>();
  const pending = new Set<InterleaveStep>();
  const replies: string[] = [];
  const proxy = net.createServer((client) => {
    const upstream = net.connect(server.port, server.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
    }
    let unsent = Buffer.alloc(0);
    let holding = false;
    const runStep = (step: InterleaveStep, then: () => void): void => {
      pending.delete(step);
      if (step.cut === true) {
        holding = true; // nothing more from this connection
        client.destroy();
        upstream.destroy();
        return;
      }
      holding = true;
      void raw(server, step.command ?? '').then((reply) => {
        replies.push(reply.toString('latin1').trim());
        holding = false;
        then();
      });
    };
    const forward = (): void => {
      for (let end = unsent.indexOf('\r\n'); !holding && end >= 0; end = unsent.indexOf('\r\n')) {
        const line = unsent.subarray(0, end + 2);
        const text = line.toString('latin1');
        const first = [...pending].find((step) => step.before?.test(text));
        if (first !== undefined) return runStep(first, forward);
        unsent = unsent.subarray(end + 2);
        upstream.write(line);
        const next = [...pending].find((step) => step.after?.test(text));
        if (next !== undefined) runStep(next, forward);
      }
    };
    client.on('data', (chunk: Buffer) => {
      unsent = Buffer.concat([unsent, chunk]);
      forward();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (replyDelay === 0) client.write(chunk);
      else setTimeout(() => client.write(chunk), replyDelay);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    spec: `127.0.0.1:${port}`,
    replies,
    arm: (steps) => {
      for (const step of steps) pending.add(step);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
