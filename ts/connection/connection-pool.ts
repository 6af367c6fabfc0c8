/**
 * `poolSize` connections to one server, opened lazily. A request goes to an idle connection, else
 * to a new one while the pool is not full, else to the one with the fewest pending requests.
 * A failed connection is replaced on the next request.
 */
import { ConnectionError } from '../errors.js';
import type { Request } from '../protocol/request.js';
import { Connection, type ConnectionConfig, type ConnectionObserver } from './connection.js';

export class ConnectionPool {
  readonly #config: ConnectionConfig;
  readonly #size: number;
  readonly #observer: ConnectionObserver | undefined;
  readonly #connections: (Connection | undefined)[] = [];

  constructor(config: ConnectionConfig, size: number, observer?: ConnectionObserver) {
    this.#config = config;
    this.#size = size;
    this.#observer = observer;
  }

  get name(): string {
    return this.#config.name;
  }

  send(request: Request): void {
    let connection: Connection;
    try {
      connection = this.#pick();
    } catch (cause) {
      // Socket creation itself threw (e.g. unusable TLS options): this request fails, not the caller's code.
      const server = this.#config.name;
      request.fail(new ConnectionError(`cannot open a connection to ${server}: ${String(cause)}`, { server, cause }));
      return;
    }
    connection.send(request);
  }

  /** Closes every connection once its queued requests are done. */
  async close(): Promise<void> {
    const open = this.#connections.filter((c): c is Connection => c !== undefined);
    this.#connections.length = 0;
    await Promise.all(open.map((c) => c.close()));
  }

  #pick(): Connection {
    let best: Connection | undefined;
    let free = -1;
    for (let i = 0; i < this.#size; i++) {
      const c = this.#connections[i];
      if (c === undefined || c.status === 'closed' || c.status === 'closing') {
        if (free < 0) free = i;
        continue;
      }
      if (c.pending === 0) return c;
      if (best === undefined || c.pending < best.pending) best = c;
    }
    if (free >= 0 && (best === undefined || this.#size > 1)) {
      const fresh = new Connection(this.#config, this.#observer);
      this.#connections[free] = fresh;
      return fresh;
    }
    return best as Connection;
  }
}
