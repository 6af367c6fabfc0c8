/** What marks a server dead: failing to reach it, or a timeout; never a connection it closed, a bad reply or a refused login. */
import { describe, expect, it } from 'vitest';
import { isOutage } from '../ts/cluster/health.js';
import { AbortError, AuthError, ConnectionError, ConnectTimeoutError, ProtocolError, TimeoutError, type MemcacheError } from '../ts/index.js';

const socketError = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
const connection = (cause?: unknown) => new ConnectionError('connection failed', { server: 's (1)', cause });

describe('isOutage', () => {
  it.each<[string, MemcacheError]>([
    ['a refused connect', connection(socketError('ECONNREFUSED', 'connect'))],
    ['an unreachable host', connection(socketError('EHOSTUNREACH', 'connect'))],
    ['an unknown host name', connection(socketError('ENOTFOUND', 'getaddrinfo'))],
    ['every address of a name refusing', connection(new AggregateError([socketError('ECONNREFUSED', 'connect'), socketError('ECONNREFUSED', 'connect')]))],
    ['a connect timeout', new ConnectTimeoutError('no connection within 1000 ms')],
    ['a request timeout', new TimeoutError('no reply within 3000 ms')],
  ])('is %s', (_, error) => {
    expect(isOutage(error)).toBe(true);
  });

  it.each<[string, MemcacheError]>([
    ['a connection the server closed (restart, idle timeout)', connection()],
    ['a connection reset while in use', connection(socketError('ECONNRESET', 'read'))],
    ['a write to a closed connection', connection(socketError('EPIPE', 'write'))],
    ['a malformed reply', new ProtocolError('malformed reply')],
    ['a refused login', new AuthError('authentication refused')],
    ['an aborted call', new AbortError()],
  ])('is not %s', (_, error) => {
    expect(isOutage(error)).toBe(false);
  });
});
