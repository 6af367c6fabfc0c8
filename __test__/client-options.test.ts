/** Client options and server specifications: each bad one throws a typed error naming it, at construction. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseServerSpec, type ServerSpec } from '../ts/cluster/server-spec.js';
import {
  ArgumentError,
  Client,
  DEFAULT_OPTIONS,
  NoServerError,
  OptionError,
  ServerSpecError,
  type CallOptions,
  type ClientOptions,
} from '../ts/index.js';

const BAD_OPTIONS: [keyof ClientOptions | 'nope', unknown][] = [
  ['timeout', 0],
  ['timeout', -5],
  ['timeout', '100'],
  ['timeout', Infinity],
  ['timeout', NaN],
  ['connectTimeout', 0],
  ['connectTimeout', 2 ** 31],
  ['keyPrefix', 42],
  ['keyPrefix', 'has space'],
  ['keyPrefix', 'line\n'],
  ['keyPrefix', 'p'.repeat(250)],
  ['keyPrefix', 'p\uD800'],
  ['checkKeys', 'yes'],
  ['maxKeyLength', 0],
  ['maxKeyLength', 2.5],
  ['maxKeyLength', 251],
  ['maxValueLength', 0],
  ['maxValueLength', -1],
  ['compressionThreshold', -1],
  ['compressionThreshold', 0.5],
  ['compressionLevel', 10],
  ['compressionLevel', -2],
  ['maxDecompressedLength', 0],
  ['serializer', {}],
  ['serializer', { serialize: () => ({}) }],
  ['compressor', { compress: () => Buffer.alloc(0) }],
  ['tls', 'on'],
  ['auth', 'alice:secret'],
  ['auth', { username: 'alice' }],
  ['auth', { username: 'al ice', password: 'x' }],
  ['auth', { username: 'alice', password: 'a\r\nb' }],
  ['poolSize', 0],
  ['poolSize', 1.5],
  ['poolSize', 100_000],
  ['maxPending', 0],
  ['maxPending', -1],
  ['maxPending', 1.5],
  ['retries', -1],
  ['retries', 6],
  ['retries', true],
  ['reconnectDelay', -1],
  ['reconnectDelay', 0.5],
  ['maxReconnectDelay', 2 ** 31],
  ['maxReconnectDelay', 10], // below the default reconnectDelay (50)
  ['mergeGets', 1],
  ['nope', 1],
];

describe('a bad option', () => {
  it.each(BAD_OPTIONS)('%s = %s throws an OptionError naming it', (option, value) => {
    let error: unknown;
    try {
      new Client(['127.0.0.1:11211'], { [option]: value } as ClientOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option });
    expect((error as Error).message).toContain(option);
  });

  it.each<[string, ClientOptions]>([
    ['hasOwnProperty', { hasOwnProperty: 1 } as ClientOptions],
    ['valueOf', { valueOf: 1 } as ClientOptions],
    ['toString', { toString: 'x' } as ClientOptions],
    ['constructor', { constructor: 1 } as ClientOptions],
    ['__proto__', JSON.parse('{"__proto__": 1}') as ClientOptions],
    ['__proto__', JSON.parse('{"__proto__": {"timeout": 5}}') as ClientOptions],
  ])('%s, a name Object.prototype has, is no option: an OptionError naming it, nothing polluted', (option, options) => {
    let error: unknown;
    try {
      new Client(['127.0.0.1:11211'], options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option });
    expect(({} as Record<string, unknown>).timeout).toBeUndefined();
  });

  it('options that are no object throw too', () => {
    expect(() => new Client(['127.0.0.1:11211'], 'fast' as unknown as ClientOptions)).toThrow(OptionError);
  });
});

describe('good options', () => {
  it('are accepted, and undefined means the default', () => {
    const mc = new Client('127.0.0.1:11211', {
      timeout: 500,
      connectTimeout: 250,
      keyPrefix: 'app:',
      checkKeys: false,
      maxKeyLength: 100,
      maxValueLength: 10,
      compressionThreshold: 100,
      compressionLevel: 9,
      maxDecompressedLength: 1000,
      tls: false,
      auth: { username: 'alice', password: 'with space' },
      poolSize: 4,
      maxPending: Infinity,
      retries: 0,
      reconnectDelay: 0,
      maxReconnectDelay: 0,
      mergeGets: false,
      serializer: undefined,
    });
    expect(mc).toBeInstanceOf(Client);
  });

  it('reconnectDelay alone above the default maxReconnectDelay raises the cap with it', () => {
    expect(() => new Client('127.0.0.1:11211', { reconnectDelay: 5000 })).not.toThrow();
    expect(() => new Client('127.0.0.1:11211', { reconnectDelay: 5000, maxReconnectDelay: 4000 })).toThrow(OptionError);
  });

  it('have documented defaults', () => {
    expect(DEFAULT_OPTIONS).toMatchObject({
      timeout: 3000,
      connectTimeout: 1000,
      keyPrefix: '',
      checkKeys: true,
      maxKeyLength: 250,
      maxValueLength: 1024 * 1024,
      compressionThreshold: 0,
      poolSize: 1,
      maxPending: 10_000,
      retries: 1,
      reconnectDelay: 50,
      maxReconnectDelay: 2000,
      mergeGets: true,
    });
  });
});

describe('per-call options', () => {
  it('a bad timeout or signal is an ArgumentError before anything is sent', async () => {
    const mc = new Client(['127.0.0.1:1']);
    try {
      for (const options of [{ timeout: 0 }, { timeout: -1 }, { timeout: '5' }, { signal: {} }, 'fast']) {
        await expect(mc.get('k', options as CallOptions)).rejects.toBeInstanceOf(ArgumentError);
      }
    } finally {
      await mc.close();
    }
  });
});

describe('server specs', () => {
  const GOOD: [ServerSpec, string, object][] = [
    ['127.0.0.1:11311', '127.0.0.1:11311 (1)', { kind: 'tcp', host: '127.0.0.1', port: 11311 }],
    ['cache.example.com', 'cache.example.com:11211 (1)', { kind: 'tcp', host: 'cache.example.com', port: 11211 }],
    ['inet:10.0.0.1', '10.0.0.1:11211 (1)', { kind: 'tcp', host: '10.0.0.1', port: 11211 }],
    ['inet:10.0.0.1:5000', '10.0.0.1:5000 (1)', { kind: 'tcp', host: '10.0.0.1', port: 5000 }],
    ['inet6:[::1]:11211', '[::1]:11211 (1)', { kind: 'tcp', host: '::1', port: 11211 }],
    ['inet6:[fe80::1]', '[fe80::1]:11211 (1)', { kind: 'tcp', host: 'fe80::1', port: 11211 }],
    ['[::1]:6000', '[::1]:6000 (1)', { kind: 'tcp', host: '::1', port: 6000 }],
    ['::1', '[::1]:11211 (1)', { kind: 'tcp', host: '::1', port: 11211 }],
    ['unix:/tmp/mc.sock', 'unix:/tmp/mc.sock (1)', { kind: 'unix', path: '/tmp/mc.sock' }],
    ['/var/run/mc.sock', 'unix:/var/run/mc.sock (1)', { kind: 'unix', path: '/var/run/mc.sock' }],
    [{ host: '10.0.0.2', port: 1234, weight: 3 }, '10.0.0.2:1234 (3)', { kind: 'tcp', host: '10.0.0.2', port: 1234 }],
    [{ host: '10.0.0.2' }, '10.0.0.2:11211 (1)', { kind: 'tcp', host: '10.0.0.2', port: 11211 }],
    [{ path: '/tmp/a.sock', weight: 2 }, 'unix:/tmp/a.sock (2)', { kind: 'unix', path: '/tmp/a.sock' }],
    [['10.0.0.3:11211', 5], '10.0.0.3:11211 (5)', { kind: 'tcp', host: '10.0.0.3', port: 11211 }],
    [[{ host: '10.0.0.4' }, 0], '10.0.0.4:11211 (0)', { kind: 'tcp', host: '10.0.0.4', port: 11211 }],
    ['127.0.0.1:11211:5', '127.0.0.1:11211 (5)', { kind: 'tcp', host: '127.0.0.1', port: 11211 }],
    ['cache.example.com:11311:0', 'cache.example.com:11311 (0)', { kind: 'tcp', host: 'cache.example.com', port: 11311 }],
    ['inet:10.0.0.1:5000:4', '10.0.0.1:5000 (4)', { kind: 'tcp', host: '10.0.0.1', port: 5000 }],
    ['[::1]:6000:2', '[::1]:6000 (2)', { kind: 'tcp', host: '::1', port: 6000 }],
    ['inet6:[::1]:11211:3', '[::1]:11211 (3)', { kind: 'tcp', host: '::1', port: 11211 }],
    ['2001:db8::7', '[2001:db8::7]:11211 (1)', { kind: 'tcp', host: '2001:db8::7', port: 11211 }],
    ['unix:/tmp/mc:2.sock', 'unix:/tmp/mc:2.sock (1)', { kind: 'unix', path: '/tmp/mc:2.sock' }],
    [['unix:/tmp/mc.sock', 4], 'unix:/tmp/mc.sock (4)', { kind: 'unix', path: '/tmp/mc.sock' }],
  ];

  it.each(GOOD)('%j parses, named %s', (spec, name, endpoint) => {
    expect(parseServerSpec(spec)).toEqual({ endpoint, name, weight: Number(/\((\d+)\)/.exec(name)![1]) });
  });

  const BAD: unknown[] = [
    '',
    'host:',
    'host:0',
    'host:65536',
    'host:12ab',
    'a b:11211',
    '::1:11211:x',
    'fe80::1::2',
    'inet6:::1',
    'inet6:[nope]:11211',
    '[::1]11211',
    '127.0.0.1:11211:x',
    '127.0.0.1:11211:-1',
    '127.0.0.1:11211:',
    '127.0.0.1:11211:4294967296',
    'h:1:2:3',
    'host::5',
    '[::1]:11211:',
    ['127.0.0.1:11211:2', 3],
    'unix:',
    { host: '' },
    { host: 'h', port: 70000 },
    { host: 'h', weight: -1 },
    { host: 'h', weight: 1.5 },
    { nothing: true },
    ['h:1', 'heavy'],
    ['h:1', 2, 3],
    42,
    null,
  ];

  it.each(BAD)('%j throws a ServerSpecError', (spec) => {
    expect(() => parseServerSpec(spec as ServerSpec)).toThrow(ServerSpecError);
    expect(() => new Client([spec as ServerSpec])).toThrow(ServerSpecError);
  });

  it.each<[string, RegExp]>([
    ['127.0.0.1:11211:x', /weight must be a non-negative integer/],
    ['127.0.0.1:11211:-1', /weight must be a non-negative integer/],
    ['[::1]:11211:heavy', /weight must be a non-negative integer/],
    ['h:1:2:3', /HOST\[:PORT\[:WEIGHT\]\]/],
    ['host:0:1', /port must be an integer 1-65535/],
    ['fe80::1::2', /IPv6 addresses are written in brackets/],
    ['::1:11211:x', /IPv6 addresses are written in brackets/],
  ])('%s: the message says what is wrong', (spec, message) => {
    expect(() => parseServerSpec(spec)).toThrow(message);
  });

  it('IPv6 brackets are asked for only of what looks like a bare IPv6 address', () => {
    for (const spec of ['127.0.0.1:11211:x', 'h:1:2:3', 'host::5']) {
      expect(() => parseServerSpec(spec)).toThrow(ServerSpecError);
      expect(() => parseServerSpec(spec)).not.toThrow(/brackets/);
    }
  });

  it('an empty list throws a ServerSpecError', () => {
    expect(() => new Client([])).toThrow(ServerSpecError);
  });

  it('weight 0 on every server leaves no server for keys: a NoServerError, nothing sent', async () => {
    const mc = new Client([['127.0.0.1:1', 0], { host: '127.0.0.1', port: 2, weight: 0 }]);
    try {
      await expect(mc.get('k')).rejects.toBeInstanceOf(NoServerError);
      await expect(mc.getMulti(['k'])).rejects.toMatchObject({ code: 'MEMCACHE_NO_SERVER' });
    } finally {
      await mc.close();
    }
  });

  it('a single spec, or a single [spec, weight] pair, is one server', async () => {
    const single = new Client('127.0.0.1:1');
    const pair = new Client(['127.0.0.1:1', 2]);
    try {
      // Nothing listens on port 1: the refusal names the one server each client has.
      await expect(single.version()).rejects.toMatchObject({ server: '127.0.0.1:1 (1)' });
      await expect(pair.version()).rejects.toMatchObject({ server: '127.0.0.1:1 (2)' });
    } finally {
      await Promise.all([single.close(), pair.close()]);
    }
  });
});

describe('servers from MEMCACHE_SERVERS', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const names = (mc: Client) => mc.metrics().servers.map((s) => s.server);

  it('without servers, new Client() takes MEMCACHE_SERVERS: comma-separated, the same grammar', async () => {
    vi.stubEnv('MEMCACHE_SERVERS', ' 127.0.0.1:11311:3, [::1]:11312 ,unix:/tmp/mc.sock,');
    const implicit = new Client();
    const undefinedServers = new Client(undefined, { timeout: 100 });
    try {
      expect(names(implicit)).toEqual(['127.0.0.1:11311 (3)', '[::1]:11312 (1)', 'unix:/tmp/mc.sock (1)']);
      expect(names(undefinedServers)).toEqual(names(implicit));
    } finally {
      await Promise.all([implicit.close(), undefinedServers.close()]);
    }
  });

  it('given servers win over MEMCACHE_SERVERS', async () => {
    vi.stubEnv('MEMCACHE_SERVERS', '127.0.0.1:11311');
    const mc = new Client('127.0.0.1:11411');
    try {
      expect(names(mc)).toEqual(['127.0.0.1:11411 (1)']);
    } finally {
      await mc.close();
    }
  });

  it('without servers and with MEMCACHE_SERVERS unset or empty, a ServerSpecError: no default to localhost', () => {
    for (const value of [undefined, '', ' , ']) {
      vi.stubEnv('MEMCACHE_SERVERS', value);
      expect(() => new Client()).toThrow(ServerSpecError);
      expect(() => new Client(undefined, {})).toThrow(/no servers were given and MEMCACHE_SERVERS/);
    }
  });

  it('a bad server in MEMCACHE_SERVERS is a ServerSpecError that names the variable', () => {
    vi.stubEnv('MEMCACHE_SERVERS', '127.0.0.1:11211,127.0.0.1:11211:x');
    expect(() => new Client()).toThrow(ServerSpecError);
    expect(() => new Client()).toThrow(/MEMCACHE_SERVERS.*weight must be a non-negative integer/);
  });
});
