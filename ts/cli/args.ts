/**
 * The command line, parsed: global options (node:util parseArgs) and the server list. Anything
 * wrong here is a UsageError, exit code 2, before a connection is made.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ServerSpec } from '../index.js';

export const DEFAULT_SERVERS = 'localhost:11211';

/** The command line is wrong: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Invocation {
  /** undefined with --help / --version alone. */
  command: string | undefined;
  args: string[];
  servers: ServerSpec[];
  /** The servers as given, for messages. */
  serverList: string;
  distribution: string | undefined;
  hash: string | undefined;
  json: boolean;
  tls: boolean;
  timeout: number | undefined;
  ttl: number | undefined;
  /** memcached ASCII authentication: the user from --username or MEMCACHE_USERNAME, the password from MEMCACHE_PASSWORD or --password-file. */
  auth: { username: string; password: string } | undefined;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  servers: { type: 'string', short: 's' },
  distribution: { type: 'string', short: 'd' },
  hash: { type: 'string' },
  json: { type: 'boolean', short: 'j' },
  tls: { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  ttl: { type: 'string' },
  username: { type: 'string', short: 'u' },
  'password-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** The options part of --help. */
export const OPTIONS_HELP = `Options:
  -s, --servers LIST       comma-separated servers, each HOST[:PORT[:WEIGHT]], [IPV6][:PORT[:WEIGHT]]
                           or unix:/PATH (default: $MEMCACHE_SERVERS, else ${DEFAULT_SERVERS})
  -d, --distribution NAME  how keys map to servers: ketama (default), ketama-spy,
                           python-memcached, modula
      --hash NAME          the key hash of modula (default one_at_a_time; md5, crc, fnv1a_32...)
      --tls                connect with TLS (trust a private CA with NODE_EXTRA_CA_CERTS=ca.pem)
  -t, --timeout MS         per-operation timeout in ms (default 3000)
      --ttl SECONDS        set: seconds to live (default 0, no expiry)
  -u, --username NAME      log in (memcached -Y) as NAME (default: $MEMCACHE_USERNAME); the password
                           comes from $MEMCACHE_PASSWORD or --password-file, never the command line
      --password-file FILE read the password from the first line of FILE
  -j, --json               print results as JSON
  -h, --help               print this help
      --version            print the client's version and active core`;

export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const serverList = values.servers ?? (env.MEMCACHE_SERVERS || DEFAULT_SERVERS);
  return {
    command: positionals[0],
    args: positionals.slice(1),
    servers: parseServers(serverList),
    serverList,
    distribution: values.distribution,
    hash: values.hash,
    json: values.json ?? false,
    tls: values.tls ?? false,
    timeout: values.timeout === undefined ? undefined : integerArg(values.timeout, '--timeout', 1),
    ttl: values.ttl === undefined ? undefined : integerArg(values.ttl, '--ttl', 0),
    auth: credentials(values.username ?? (env.MEMCACHE_USERNAME || undefined), values['password-file'], env),
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

/**
 * `a:1,b:2:3`: split on commas only. Each item is a server string in the client's own grammar
 * (HOST[:PORT[:WEIGHT]], [IPV6][:PORT[:WEIGHT]], unix:/PATH...), parsed by the client when it is
 * made: a bad one is its ServerSpecError, exit code 2, before anything is sent.
 */
export function parseServers(list: string): ServerSpec[] {
  const items = list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError('--servers: no server given');
  return items;
}

/**
 * The login, when a user is named. The password is read from the environment or a file: on the
 * command line it would show in `ps` and the shell's history to anyone on the machine.
 */
function credentials(username: string | undefined, passwordFile: string | undefined, env: NodeJS.ProcessEnv): Invocation['auth'] {
  if (username === undefined) {
    if (passwordFile !== undefined) throw new UsageError('--password-file needs --username (or MEMCACHE_USERNAME)');
    return undefined;
  }
  if (passwordFile !== undefined) return { username, password: readPasswordFile(passwordFile) };
  const password = env.MEMCACHE_PASSWORD;
  if (password === undefined) throw new UsageError('--username needs a password: set MEMCACHE_PASSWORD or pass --password-file FILE');
  return { username, password };
}

function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[0];
  } catch (error) {
    throw new UsageError(`--password-file: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** A decimal integer argument, at least `min`. */
export function integerArg(text: string, name: string, min: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** An incr/decr delta: a decimal integer, as a bigint past 2^53 (the client checks the range). */
export function deltaArg(text: string): number | bigint {
  if (!/^\d+$/.test(text)) throw new UsageError(`DELTA must be a non-negative integer, got ${JSON.stringify(text)}`);
  const value = BigInt(text);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
