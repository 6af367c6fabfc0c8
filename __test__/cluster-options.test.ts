/** The cluster options: distribution, hash, deadRetry, failover, flushOnReconnect; each bad value throws an OptionError naming it. */
import { describe, expect, it } from 'vitest';
import { Client, DEFAULT_OPTIONS, OptionError, type ClientOptions } from '../ts/index.js';

const SERVERS = ['127.0.0.1:11211', '127.0.0.1:11212'];

const BAD: [keyof ClientOptions, unknown, RegExp][] = [
  ['distribution', 'consistent', /one of 'ketama', 'ketama-spy', 'python-memcached', 'modula'/],
  ['distribution', 42, /one of/],
  ['hash', 'sha1', /one of 'one_at_a_time'/],
  ['hash', 'crc', /only 'modula' takes another hash; 'ketama' hashes keys with md5/],
  ['deadRetry', -1, /integer from 0/],
  ['deadRetry', 1.5, /integer from 0/],
  ['deadRetry', 2 ** 31, /integer from 0/],
  ['failover', 'yes', /boolean/],
  ['flushOnReconnect', 1, /boolean/],
];

describe('a bad cluster option', () => {
  it.each(BAD)('%s = %s throws an OptionError naming it', (option, value, message) => {
    let error: unknown;
    try {
      new Client(SERVERS, { [option]: value } as ClientOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ code: 'MEMCACHE_BAD_OPTION', option });
    expect((error as Error).message).toMatch(message);
  });

  it('hash is checked against the distribution it comes with', () => {
    expect(() => new Client(SERVERS, { distribution: 'python-memcached', hash: 'md5' })).toThrow(OptionError);
    expect(() => new Client(SERVERS, { distribution: 'ketama-spy', hash: 'crc' })).toThrow(OptionError);
  });
});

describe('good cluster options', () => {
  it('are accepted: any libhashkit hash for modula, and a distribution\'s own hash for the others', async () => {
    const clients = [
      new Client(SERVERS, { distribution: 'modula', hash: 'murmur3', deadRetry: 0, failover: false, flushOnReconnect: true }),
      new Client(SERVERS, { distribution: 'ketama', hash: 'md5' }),
      new Client(SERVERS, { distribution: 'python-memcached', hash: 'crc' }),
      new Client(SERVERS, { distribution: 'ketama-spy', hash: undefined }),
    ];
    await Promise.all(clients.map((c) => c.close()));
  });

  it('have documented defaults', () => {
    expect(DEFAULT_OPTIONS).toMatchObject({
      distribution: 'ketama',
      hash: undefined,
      deadRetry: 30_000,
      failover: true,
      flushOnReconnect: false,
    });
  });
});
