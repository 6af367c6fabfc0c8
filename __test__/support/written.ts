/** What clients write to their sockets, for tests that pin the bytes on the wire. */
import net from 'node:net';
import { vi } from 'vitest';

/** Every byte any client writes while `body` runs, as latin1 text. */
export async function written(body: () => Promise<unknown>): Promise<string> {
  const write = vi.spyOn(net.Socket.prototype, 'write');
  try {
    await body();
    return write.mock.calls.map(([chunk]) => Buffer.from(chunk as Uint8Array).toString('latin1')).join('');
  } finally {
    write.mockRestore();
  }
}
