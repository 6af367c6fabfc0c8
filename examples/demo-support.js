// What the demo needs besides the client: local memcached servers it can kill and restart, a look
// at an item's raw bytes, and a plain-text table. Nothing here is part of the package.
import { spawn } from 'node:child_process';
import net from 'node:net';

const BIN = process.env.MEMCACHED_BIN ?? 'memcached';
const running = new Set();

// Whatever happens, no memcached outlives the demo.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `count` memcached servers on free ports of 127.0.0.1. */
export async function startServers(count) {
  return Promise.all(Array.from({ length: count }, () => startServer()));
}

async function startServer() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const server = new LocalMemcached(port);
    if (await server.start()) return server;
  }
  throw new Error('could not start memcached on a free port');
}

class LocalMemcached {
  #child;

  constructor(port) {
    this.port = port;
    this.spec = `127.0.0.1:${port}`;
  }

  /** Resolves true once it accepts connections, false if it exited (port taken). */
  async start() {
    // memcached refuses to run as root unless told which user to be.
    const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
    const child = spawn(BIN, [...user, '-l', '127.0.0.1', '-p', String(this.port), '-U', '0', '-m', '64'], { stdio: 'ignore' });
    this.#child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    const spawned = await new Promise((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (error) => resolve(error));
    });
    if (spawned !== true) {
      throw spawned.code === 'ENOENT' ? new Error(`"${BIN}" is not in PATH: install memcached (apt-get install memcached, brew install memcached) or set MEMCACHED_BIN`) : spawned;
    }
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) return false;
      if (await canConnect(this.port)) return true;
      await sleep(20);
    }
    return false;
  }

  /** SIGKILL: the server vanishes as in a crash. */
  async kill() {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  /** Back on the same port, empty, as after a crash and restart. */
  async restart() {
    await this.kill();
    if (!(await this.start())) throw new Error(`memcached did not restart on ${this.spec}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An item as the server holds it (flags and byte count), read with a bare `get`, past the client. */
export function rawItem(server, key) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      if (!reply.subarray(-5).equals(Buffer.from('END\r\n'))) return;
      socket.end();
      const [, , flags, bytes] = reply.subarray(0, reply.indexOf('\r\n')).toString('latin1').split(' ');
      resolve({ flags: Number(flags), bytes: Number(bytes) });
    });
    socket.write(`get ${key}\r\n`);
  });
}

/** Rows of strings as aligned columns under a header. */
export function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
