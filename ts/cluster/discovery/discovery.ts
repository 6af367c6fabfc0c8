/**
 * Auto-discovery: the pool comes from a configuration endpoint (ElastiCache's `config get
 * cluster`), asked at once and then every `interval` ms. A newer configuration version replaces
 * the pool as setServers does; the same version changes nothing; a failed poll, a garbled reply or
 * an older version keeps the pool in use, reported as a 'discovery:error'. Until the first
 * configuration arrives the endpoint is asked again every second at most, and calls wait for it
 * (`untilConfigured`) within their own timeouts. The poll timer never holds the process open.
 */
import { listenForAbort, stopListening, type AbortListener } from '../../abort-listeners.js';
import { AbortError, ClientClosedError, DiscoveryError } from '../../errors.js';
import type { ServerSpec } from '../server-spec.js';
import { fetchClusterConfig, type EndpointSettings } from './config-client.js';
import { nodeServer, type ClusterConfig } from './config-reply.js';

export interface DiscoverySettings extends EndpointSettings {
  /** ms between polls once a configuration is in use. */
  readonly interval: number;
}

export interface DiscoveryConfigEvent {
  /** The endpoint, as given. */
  readonly endpoint: string;
  /** The configuration version now in use. */
  readonly version: number;
  /** The one it replaced; undefined for the first. */
  readonly previous: number | undefined;
  /** The pool now, named as in stats() and errors. */
  readonly servers: readonly string[];
}

export interface DiscoveryErrorEvent {
  readonly endpoint: string;
  /** Why nothing changed (`reason`: 'unreachable', 'unsupported', 'malformed', 'stale'). */
  readonly error: DiscoveryError;
  /** The configuration version still in use; undefined when there is none yet. */
  readonly version: number | undefined;
}

export type DiscoveryEvent =
  | { readonly type: 'discovery:config'; readonly event: DiscoveryConfigEvent }
  | { readonly type: 'discovery:error'; readonly event: DiscoveryErrorEvent };

/** Replaces the pool; returns its servers' names. Throws a ServerSpecError on a server it cannot take. */
export type ApplyPool = (specs: readonly ServerSpec[]) => readonly string[];

/** Until the first configuration, the endpoint is asked again after this many ms at most. */
const FIRST_CONFIG_RETRY = 1000;

export class Discovery {
  readonly #settings: DiscoverySettings;
  readonly #apply: ApplyPool;
  readonly #emit: (event: DiscoveryEvent) => void;
  #version: number | undefined;
  #lastError: DiscoveryError | undefined;
  #polling: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Calls waiting for the first configuration: told when it comes (true) or the client closes (false). */
  readonly #waiters = new Set<(configured: boolean) => void>();

  constructor(settings: DiscoverySettings, apply: ApplyPool, emit: (event: DiscoveryEvent) => void) {
    this.#settings = settings;
    this.#apply = apply;
    this.#emit = emit;
  }

  /** The configuration version in use; undefined before the first. */
  get version(): number | undefined {
    return this.#version;
  }

  /** Asks the endpoint now (unless a poll is under way); resolves when that poll is done, events queued. */
  poll(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    clearTimeout(this.#timer);
    this.#polling ??= fetchClusterConfig(this.#settings)
      .then(
        (config) => this.#receive(config),
        (error: DiscoveryError) => this.#fail(error),
      )
      .finally(() => {
        this.#polling = undefined;
        this.#schedule();
      });
    return this.#polling;
  }

  /**
   * undefined once a configuration is in use (the fast path). Before: a promise of the ms left of
   * `timeout` once the first one arrived, rejected with a DiscoveryError ('no-config', `cause`:
   * the last poll's failure) when `timeout` runs out first, an AbortError, or a ClientClosedError.
   */
  untilConfigured(timeout: number, signal: AbortSignal | undefined): Promise<number> | undefined {
    if (this.#version !== undefined) return undefined;
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortError());
      const cleanUp = (): void => {
        clearTimeout(timer);
        if (signal !== undefined) stopListening(signal, listener);
        this.#waiters.delete(finish);
      };
      const finish = (configured: boolean): void => {
        cleanUp();
        if (configured) resolve(Math.max(1, timeout - (performance.now() - started)));
        else reject(new ClientClosedError('the client was closed before the cluster configuration arrived'));
      };
      const listener: AbortListener = {
        handleEvent: () => {
          cleanUp();
          reject(new AbortError());
        },
      };
      const timer = setTimeout(() => {
        cleanUp();
        const { name } = this.#settings;
        reject(new DiscoveryError('no-config', `no cluster configuration from ${name} within ${timeout} ms`, { server: name, cause: this.#lastError }));
      }, timeout);
      if (signal !== undefined) listenForAbort(signal, listener);
      this.#waiters.add(finish);
    });
  }

  /** The client is closing: no more polls; calls still waiting for a first configuration fail. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const finish of [...this.#waiters]) finish(false);
  }

  #receive(config: ClusterConfig): void {
    if (this.#stopped || config.version === this.#version) return;
    const previous = this.#version;
    const { name } = this.#settings;
    if (previous !== undefined && config.version < previous) {
      this.#fail(new DiscoveryError('stale', `${name} sent configuration version ${config.version}, older than ${previous} in use`, { server: name }));
      return;
    }
    let servers: readonly string[];
    try {
      servers = this.#apply(config.nodes.map((node) => nodeServer(node, this.#settings.tls !== undefined)));
    } catch (cause) {
      this.#fail(new DiscoveryError('malformed', `${name} listed a server the client cannot use: ${(cause as Error).message}`, { server: name, cause }));
      return;
    }
    this.#version = config.version;
    this.#lastError = undefined;
    this.#report({ type: 'discovery:config', event: { endpoint: name, version: config.version, previous, servers } });
    for (const finish of [...this.#waiters]) finish(true);
  }

  #fail(error: DiscoveryError): void {
    if (this.#stopped) return;
    this.#lastError = error;
    this.#report({ type: 'discovery:error', event: { endpoint: this.#settings.name, error, version: this.#version } });
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { interval } = this.#settings;
    const delay = this.#version === undefined ? Math.min(interval, FIRST_CONFIG_RETRY) : interval;
    this.#timer = setTimeout(() => void this.poll(), delay).unref();
  }

  /** Listeners run on the next tick, as the health events do. */
  #report(event: DiscoveryEvent): void {
    process.nextTick(this.#emit, event);
  }
}
