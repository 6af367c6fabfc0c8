/**
 * A stand-in for an ElastiCache configuration endpoint (memcached itself does not answer
 * `config get cluster`): answers `config get cluster` byte for byte as ElastiCache does,
 *
 *     CONFIG cluster 0 <length>\r\n<version>\n<host>|<ip>|<port> ...\n\r\nEND\r\n
 *
 * and `version`; anything else gets `ERROR`. Optionally over TLS and behind memcached's ASCII
 * authentication (`CLIENT_ERROR unauthenticated` until a `set auth` with a known user). The test
 * changes the node list (the version goes up), sets the version (backwards too), takes the
 * endpoint down and up on the same port, or has it answer garbage.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface ConfigNodeSpec {
  readonly host: string;
  readonly ip: string;
  readonly port: number;
}

export interface ConfigEndpointOptions {
  /** Serve TLS with a fresh self-signed certificate for localhost / 127.0.0.1. */
  tls?: boolean;
  /** Require memcached ASCII authentication with these users. */
  users?: Record<string, string>;
}

export interface ConfigEndpoint {
  /** `127.0.0.1:<port>`. */
  readonly spec: string;
  readonly port: number;
  /** The certificate to trust, with `tls`. */
  readonly ca: Buffer | undefined;
  readonly version: number;
  /** `config get cluster` requests answered so far. */
  readonly asked: number;
  /** Lists `nodes` from now on, under the next version (or `version`, when given). */
  setNodes(nodes: readonly ConfigNodeSpec[], version?: number): void;
  /** Keeps the nodes, answers with `version` (lower than before: a version going backwards). */
  setVersion(version: number): void;
  /** Answers `config get cluster` with these bytes instead (undefined: the configuration again). */
  setGarbage(reply: string | undefined): void;
  /** Stops listening and drops every connection; `up()` listens on the same port again. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A node entry for a memcached listening on 127.0.0.1 (`host` is the name the endpoint gives it). */
export function localNode(port: number, host = 'localhost'): ConfigNodeSpec {
  return { host, ip: '127.0.0.1', port };
}

/** The reply to `config get cluster`, exactly as ElastiCache writes it. */
export function configReply(version: number, nodes: readonly ConfigNodeSpec[]): string {
  const data = `${version}\n${nodes.map((n) => `${n.host}|${n.ip}|${n.port}`).join(' ')}\n`;
  return `CONFIG cluster 0 ${Buffer.byteLength(data)}\r\n${data}\r\nEND\r\n`;
}

export async function startConfigEndpoint(initial: readonly ConfigNodeSpec[], options: ConfigEndpointOptions = {}): Promise<ConfigEndpoint> {
  let nodes = initial;
  let version = 1;
  let garbage: string | undefined;
  let asked = 0;
  const sockets = new Set<net.Socket>();
  const dir = options.tls ? mkdtempSync(path.join(os.tmpdir(), 'cfg-endpoint-')) : undefined;
  const credentials = dir === undefined ? undefined : makeCertificate(dir);

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let loggedIn = options.users === undefined;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        if (line.startsWith('set auth ')) {
          // `set auth 0 0 <len>\r\n<user> <pass>\r\n`: wait for the data line.
          const length = Number(line.split(' ')[4]);
          if (buffered.length < end + 2 + length + 2) return;
          const [user, pass] = buffered.slice(end + 2, end + 2 + length).split(' ');
          buffered = buffered.slice(end + 2 + length + 2);
          loggedIn = options.users?.[user] === pass;
          socket.write(loggedIn ? 'STORED\r\n' : 'CLIENT_ERROR authentication failure\r\n');
          continue;
        }
        buffered = buffered.slice(end + 2);
        if (!loggedIn) socket.write('CLIENT_ERROR unauthenticated\r\n');
        else if (line === 'config get cluster') {
          asked++;
          socket.write(garbage ?? configReply(version, nodes));
        } else if (line === 'version') socket.write('VERSION 1.6.18\r\n');
        else socket.write('ERROR\r\n');
      }
    });
  };

  const server = credentials === undefined ? net.createServer(serve) : tls.createServer(credentials, serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const down = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    spec: `127.0.0.1:${port}`,
    port,
    ca: credentials?.cert,
    get version() {
      return version;
    },
    get asked() {
      return asked;
    },
    setNodes(list, next) {
      nodes = list;
      version = next ?? version + 1;
    },
    setVersion(next) {
      version = next;
    },
    setGarbage(reply) {
      garbage = reply;
    },
    down,
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      await down();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function makeCertificate(dir: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}
