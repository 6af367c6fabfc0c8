/**
 * `memcache-native`: a memcached command line over the public API (the only module it imports).
 * Exit codes: 0 done; 1 a miss, not stored, not found, or a server failed; 2 a usage error
 * (unknown command or option, bad argument, key, ttl or server list: nothing was sent).
 */
import { createRequire } from 'node:module';
import { Client, coreKind, MemcacheError, type ClientOptions, type ServerSpec } from '../index.js';
import { OPTIONS_HELP, parseInvocation, UsageError, type Invocation } from './args.js';
import { checkArity, COMMANDS, findCommand, type Context } from './commands.js';
import { errorJson, errorText, writeReport, type Report } from './output.js';

/** Codes of errors raised by checks on the caller's input: usage errors, exit code 2. */
const USAGE_CODES = new Set(['MEMCACHE_BAD_KEY', 'MEMCACHE_BAD_ARGUMENT', 'MEMCACHE_BAD_OPTION', 'MEMCACHE_BAD_SERVER_SPEC']);

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.usage}`.length));
  const commands = COMMANDS.map((c) => `  ${`${c.name} ${c.usage}`.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: memcache-native [options] <command> [arguments]

Commands:
${commands}

${OPTIONS_HELP}

Exit codes: 0 done; 1 a miss, not stored, not found, or a server failed;
2 a usage error (nothing was sent). Put -- before a VALUE that starts with '-'.`;
}

function packageVersion(): string {
  return (createRequire(import.meta.url)('memcache-native/package.json') as { version: string }).version;
}

/** Runs one command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let invocation: Invocation | undefined;
  try {
    invocation = parseInvocation(argv, io.env);
    if (invocation.help) {
      io.stdout.write(`${helpText()}\n`);
      return 0;
    }
    if (invocation.version) {
      io.stdout.write(`memcache-native ${packageVersion()} (${coreKind} core)\n`);
      return 0;
    }
    if (invocation.command === undefined) throw new UsageError('no command given');
    const command = findCommand(invocation.command);
    checkArity(command, invocation.args);
    const { args } = invocation;
    return await runCommand(invocation, (ctx) => command.run(ctx, args), io);
  } catch (error) {
    // A command line too broken to parse still gets JSON errors when it asked for JSON.
    return reportError(error, invocation?.json ?? (argv.includes('--json') || argv.includes('-j')), io);
  }
}

async function runCommand(invocation: Invocation, run: (ctx: Context) => Promise<Report>, io: Io): Promise<number> {
  // The client checks every option (a bad --distribution or --hash is an OptionError: exit 2).
  const options = {
    tls: invocation.tls,
    ...(invocation.auth === undefined ? {} : { auth: invocation.auth }),
    ...(invocation.timeout === undefined ? {} : { timeout: invocation.timeout }),
    ...(invocation.distribution === undefined ? {} : { distribution: invocation.distribution }),
    ...(invocation.hash === undefined ? {} : { hash: invocation.hash }),
  } as ClientOptions;
  const clients: Client[] = [];
  const open = (servers: ServerSpec | ServerSpec[]): Client => {
    const client = new Client(servers, options);
    clients.push(client);
    return client;
  };
  try {
    const ctx: Context = {
      client: open(invocation.servers),
      clientFor: (server) => open(server),
      servers: invocation.servers,
      ttl: invocation.ttl,
      readStdin: () => readAll(io.stdin),
    };
    const report = await run(ctx);
    writeReport(io.stdout, report, invocation.json);
    return report.exitCode;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

function reportError(error: unknown, json: boolean, io: Io): number {
  const usage = error instanceof UsageError || (error instanceof MemcacheError && USAGE_CODES.has(error.code));
  if (json) io.stderr.write(`${JSON.stringify({ error: error instanceof UsageError ? { code: 'USAGE', message: error.message } : errorJson(error) })}\n`);
  else if (error instanceof UsageError) io.stderr.write(`memcache-native: ${error.message}\nTry 'memcache-native --help'.\n`);
  else io.stderr.write(`memcache-native: ${errorText(error)}\n`);
  return usage ? 2 : 1;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
