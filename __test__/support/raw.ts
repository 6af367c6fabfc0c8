/**
 * Talks to memcached with bare bytes, bypassing the client: to plant items the way other clients
 * (python-memcached) write them, and to read back exactly what the client stored.
 */
import net from 'node:net';
import type { MemcachedServer } from './memcached.js';

/** Sends `command` on a fresh connection; resolves with every byte received until the reply ends with `until`. */
export function raw(server: MemcachedServer, command: string | Buffer, until = '\r\n'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = server.path !== '' ? net.connect(server.path) : net.connect(server.port, server.host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw: no complete reply to ${JSON.stringify(String(command).slice(0, 60))}: ${Buffer.concat(chunks).toString('latin1')}`));
    }, 3000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.subarray(-until.length).toString('latin1') === until) {
        clearTimeout(timer);
        socket.destroy();
        resolve(all);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(command);
  });
}

/** Stores `data` under `key` with `flags`, as any other client would. */
export async function plant(server: MemcachedServer, key: string | Buffer, flags: number, data: string | Buffer): Promise<void> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
  const keyBytes = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  const reply = await raw(server, Buffer.concat([Buffer.from('set '), keyBytes, Buffer.from(` ${flags} 0 ${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]));
  if (reply.toString() !== 'STORED\r\n') throw new Error(`plant failed: ${reply.toString()}`);
}

/** What the server holds under `key`: its flags and bytes, or undefined. */
export async function inspect(server: MemcachedServer, key: string | Buffer): Promise<{ flags: number; data: Buffer } | undefined> {
  const keyBytes = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  const reply = await raw(server, Buffer.concat([Buffer.from('get '), keyBytes, Buffer.from('\r\n')]), 'END\r\n');
  if (reply.toString('latin1') === 'END\r\n') return undefined;
  const headerEnd = reply.indexOf('\r\n');
  const [, , flags, length] = reply.subarray(0, headerEnd).toString('latin1').split(' ');
  return { flags: Number(flags), data: reply.subarray(headerEnd + 2, headerEnd + 2 + Number(length)) };
}
