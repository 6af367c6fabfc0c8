/**
 * The commands: each checks its arguments, makes one call on the public API and says what
 * happened as a Report. Misses and refusals are exit code 1, never exceptions.
 */
import type { Client, ServerSpec } from '../index.js';
import { deltaArg, integerArg, UsageError } from './args.js';
import { columns, errorJson, errorText, jsonValue, textValue, type Report } from './output.js';

export interface Context {
  /** A client for every server of --servers. */
  client: Client;
  /** A client for one server (ping measures each on its own). */
  clientFor(server: ServerSpec): Client;
  servers: readonly ServerSpec[];
  ttl: number | undefined;
  readStdin(): Promise<Buffer>;
}

export interface Command {
  name: string;
  /** Its arguments, for --help. */
  usage: string;
  summary: string;
  minArgs: number;
  maxArgs: number;
  run(ctx: Context, args: string[]): Promise<Report>;
}

const done = (text: string, json: unknown): Report => ({ exitCode: 0, text, json });
const refused = (text: string, json: unknown): Report => ({ exitCode: 1, text, json });

export const COMMANDS: readonly Command[] = [
  {
    name: 'get',
    usage: 'KEY',
    summary: 'print the value; exit 1 on a miss',
    minArgs: 1,
    maxArgs: 1,
    async run({ client }, [key]) {
      const value = await client.get(key);
      if (value === undefined) return refused('', { key, found: false });
      return { exitCode: 0, text: textValue(value), json: { key, found: true, value: jsonValue(value) } };
    },
  },
  {
    name: 'set',
    usage: 'KEY VALUE|-',
    summary: 'store VALUE as text, or stdin as bytes with -; --ttl SECONDS',
    minArgs: 2,
    maxArgs: 2,
    async run({ client, ttl, readStdin }, [key, text]) {
      const value = text === '-' ? await readStdin() : text;
      const stored = await client.set(key, value, { ttl });
      return stored ? done('STORED', { key, stored }) : refused('NOT_STORED', { key, stored });
    },
  },
  {
    name: 'delete',
    usage: 'KEY',
    summary: 'delete the item; exit 1 if it was not there',
    minArgs: 1,
    maxArgs: 1,
    async run({ client }, [key]) {
      const deleted = await client.delete(key);
      return deleted ? done('DELETED', { key, deleted }) : refused('NOT_FOUND', { key, deleted });
    },
  },
  counter('incr', 'add DELTA (default 1), print the new value; exit 1 on a miss'),
  counter('decr', 'subtract DELTA (default 1, stops at 0), print the new value; exit 1 on a miss'),
  {
    name: 'touch',
    usage: 'KEY TTL',
    summary: 'give the item a new ttl in seconds; exit 1 on a miss',
    minArgs: 2,
    maxArgs: 2,
    async run({ client }, [key, ttl]) {
      const touched = await client.touch(key, integerArg(ttl, 'TTL', 0));
      return touched ? done('TOUCHED', { key, touched }) : refused('NOT_FOUND', { key, touched });
    },
  },
  {
    name: 'stats',
    usage: '[ARGS...]',
    summary: "each server's stats (ARGS: items, slabs, settings, conns...); exit 1 if one failed",
    minArgs: 0,
    maxArgs: Infinity,
    async run({ client }, args) {
      const all = await client.stats(args.length === 0 ? undefined : args.join(' '));
      const text = all.map(({ server, stats, error }) =>
        error === undefined
          ? `${server}\n${columns(Object.entries(stats).map(([name, value]) => [`  ${name}`, value]))}`
          : `${server}\n  error ${errorText(error)}`,
      );
      const json = all.map(({ server, stats, error }) => (error === undefined ? { server, stats } : { server, stats, error: errorJson(error) }));
      return { exitCode: all.some((s) => s.error !== undefined) ? 1 : 0, text: text.join('\n\n'), json };
    },
  },
  {
    name: 'flush',
    usage: '[DELAY]',
    summary: 'invalidate every item on every server, after DELAY seconds (default 0)',
    minArgs: 0,
    maxArgs: 1,
    async run({ client }, [delay]) {
      const seconds = delay === undefined ? 0 : integerArg(delay, 'DELAY', 0);
      await client.flushAll(seconds);
      return done('OK', { flushed: true, delay: seconds });
    },
  },
  {
    name: 'version',
    usage: '',
    summary: "each server's memcached version; exit 1 if one failed",
    minArgs: 0,
    maxArgs: 0,
    async run({ client }) {
      const all = await client.version();
      const text = columns(all.map(({ server, version, error }) => [server, error === undefined ? version : `error ${errorText(error)}`]));
      const json = all.map(({ server, version, error }) => (error === undefined ? { server, version } : { server, error: errorJson(error) }));
      return { exitCode: all.some((s) => s.error !== undefined) ? 1 : 0, text, json };
    },
  },
  {
    name: 'ping',
    usage: '',
    summary: 'check each server answers, with its round-trip time; exit 1 if one is down',
    minArgs: 0,
    maxArgs: 0,
    async run({ servers, clientFor }) {
      const results = await Promise.all(servers.map((spec) => ping(clientFor(spec), spec)));
      const text = columns(results.map((r) => [r.server, r.ok ? 'ok' : 'DOWN', r.ok ? `${r.ms} ms` : errorText(r.error), r.version ?? '']));
      const json = results.map(({ error, ...rest }) => (error === undefined ? rest : { ...rest, error: errorJson(error) }));
      return { exitCode: results.every((r) => r.ok) ? 0 : 1, text: text.trimEnd(), json };
    },
  },
  {
    name: 'dump-routing',
    usage: 'KEY...',
    summary: 'the server each key maps to (with --servers and --distribution)',
    minArgs: 1,
    maxArgs: Infinity,
    async run({ client }, keys) {
      const routes = keys.map((key) => ({ key, server: client.serverFor(key) }));
      return done(columns(routes.map(({ key, server }) => [key, server])), routes);
    },
  },
];

export function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  return command;
}

export function checkArity(command: Command, args: readonly string[]): void {
  if (args.length < command.minArgs || args.length > command.maxArgs) {
    throw new UsageError(`usage: memcache-native ${command.name} ${command.usage}`.trimEnd());
  }
}

function counter(name: 'incr' | 'decr', summary: string): Command {
  return {
    name,
    usage: 'KEY [DELTA]',
    summary,
    minArgs: 1,
    maxArgs: 2,
    async run({ client }, [key, delta]) {
      const by = delta === undefined ? 1 : deltaArg(delta);
      const value = await client[name](key, by);
      if (value === undefined) return refused('NOT_FOUND', { key, found: false });
      return done(String(value), { key, found: true, value: jsonValue(value) });
    },
  };
}

interface Ping {
  server: string;
  ok: boolean;
  ms?: number;
  version?: string;
  error?: unknown;
}

async function ping(client: Client, spec: ServerSpec): Promise<Ping> {
  const start = process.hrtime.bigint();
  try {
    const [{ server, version }] = await client.version();
    const ms = Number((process.hrtime.bigint() - start) / 1000n) / 1000;
    return { server, ok: true, ms, version };
  } catch (error) {
    const server = (error as { server?: string }).server ?? (Array.isArray(spec) ? `${String(spec[0])} (${spec[1]})` : String(spec));
    return { server, ok: false, error };
  }
}
