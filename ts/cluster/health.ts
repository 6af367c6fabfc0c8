/**
 * Dead servers, as python-memcached has them: a server that cannot be reached, or does not answer
 * in time, is marked dead for `deadRetry` ms. Then the next call that routes near it starts a
 * probe (`version`, or `flush_all` with flushOnReconnect); once the probe is answered the server
 * takes its keys back. No timer runs: an idle client probes nothing and holds the process by nothing.
 * Going down and coming back are reported on the next tick.
 */
import { ConnectionError, TimeoutError, type MemcacheError } from '../errors.js';
import type { Request } from '../protocol/request-factory.js';
import type { ServerNode } from './server-node.js';

export interface HealthSettings {
  /** ms a server stays dead before it is probed. */
  readonly deadRetry: number;
  /** Probe with flush_all: a returning server forgets what it held before its outage. */
  readonly flushOnReconnect: boolean;
  /** ms a probe may take. */
  readonly probeTimeout: number;
}

export interface ServerDownEvent {
  /** Display name, as errors and stats() name it: `'127.0.0.1:11211 (1)'`. */
  readonly server: string;
  /** What marked it dead: a ConnectionError from a failed connect, or a TimeoutError. */
  readonly error: MemcacheError;
  /** When it will be probed (ms since the epoch). */
  readonly retryAt: number;
}

export interface ServerUpEvent {
  readonly server: string;
  /** ms it was down. */
  readonly downtime: number;
  /** Whether it was flushed before taking keys again (flushOnReconnect). */
  readonly flushed: boolean;
}

export type HealthEvent = { readonly type: 'server:down'; readonly event: ServerDownEvent } | { readonly type: 'server:up'; readonly event: ServerUpEvent };

/**
 * Whether a failed connection means its server is down: it could not be reached (refused,
 * unreachable, unknown name, connect timeout) or a request timed out (python-memcached's socket
 * timeout). A server closing a connection, idle or busy (a restart, an idle timeout), a malformed
 * reply or a refused login is no outage: the next call reconnects, and only if that connect fails
 * is the server dead.
 */
export function isOutage(error: MemcacheError): boolean {
  if (error instanceof TimeoutError) return true;
  return error instanceof ConnectionError && failedToConnect(error.cause);
}

/** A socket error from opening the connection (Node names the syscall), not from using it. */
function failedToConnect(cause: unknown): boolean {
  // Node 20 tries every address of a name (autoSelectFamily) and reports them all together.
  if (cause instanceof AggregateError) return cause.errors.length > 0 && cause.errors.every(failedToConnect);
  const syscall = (cause as NodeJS.ErrnoException | undefined)?.syscall;
  return syscall === 'connect' || syscall === 'getaddrinfo';
}

export class Health {
  readonly #settings: HealthSettings;
  /** Told synchronously when the set of live servers changes: routing must be rebuilt. */
  readonly #onChange: () => void;
  readonly #emit: (event: HealthEvent) => void;
  #nodes: readonly ServerNode[] = [];
  #down = 0;
  #nextProbeAt = Infinity;
  #stopped = false;

  constructor(settings: HealthSettings, onChange: () => void, emit: (event: HealthEvent) => void) {
    this.#settings = settings;
    this.#onChange = onChange;
    this.#emit = emit;
  }

  /** Servers dead or being probed. 0 is the fast path: routing ignores health entirely. */
  get downCount(): number {
    return this.#down;
  }

  /** The pool changed (setServers): recount. Does not call onChange. */
  track(nodes: readonly ServerNode[]): void {
    this.#nodes = nodes;
    this.#down = nodes.filter((node) => node.state !== 'alive').length;
    this.#nextProbeAt = Math.min(...nodes.map((node) => (node.state === 'dead' ? node.deadUntil : Infinity)));
  }

  /** A connection of `node` failed. */
  onFailure(node: ServerNode, error: MemcacheError): void {
    if (isOutage(error)) this.markDead(node, error);
  }

  markDead(node: ServerNode, error: MemcacheError): void {
    if (node.retired || this.#stopped) return;
    const now = performance.now();
    const { deadRetry } = this.#settings;
    node.deadUntil = now + deadRetry;
    node.error = error;
    this.#nextProbeAt = Math.min(this.#nextProbeAt, node.deadUntil);
    const wasAlive = node.state === 'alive';
    node.state = 'dead';
    if (!wasAlive) return;
    node.downSince = now;
    this.#down++;
    this.#onChange();
    this.#report({ type: 'server:down', event: { server: node.name, error, retryAt: Date.now() + deadRetry } });
  }

  /** Probes every dead server whose time has come. Costs a clock read when none has. */
  probeDue(): void {
    const now = performance.now();
    if (now < this.#nextProbeAt) return;
    let next = Infinity;
    for (const node of this.#nodes) {
      if (node.state !== 'dead') continue;
      if (node.deadUntil <= now) this.#probe(node);
      else next = Math.min(next, node.deadUntil);
    }
    this.#nextProbeAt = next;
  }

  /** Probes every dead server now; resolves when each probe has been answered or has failed, after the events. */
  async forgetDeadHosts(): Promise<void> {
    for (const node of this.#nodes) if (node.state === 'dead') node.deadUntil = 0;
    this.#nextProbeAt = 0;
    this.probeDue();
    await Promise.all(this.#nodes.map((node) => node.probe));
    // Events go out on the next tick; queued after them, this resolves once listeners have run.
    await new Promise((resolve) => process.nextTick(resolve));
  }

  /** The client is closing: no more probes or events. */
  stop(): void {
    this.#stopped = true;
  }

  #probe(node: ServerNode): void {
    node.state = 'probing';
    const { flushOnReconnect, probeTimeout } = this.#settings;
    const request: Request = flushOnReconnect ? node.requests.flushAll(0, probeTimeout, undefined) : node.requests.version(probeTimeout, undefined);
    node.pool.send(request);
    node.probe = request.promise.then(
      () => this.#revive(node),
      (error: MemcacheError) => {
        node.probe = undefined;
        this.markDead(node, error);
      },
    );
  }

  #revive(node: ServerNode): void {
    node.probe = undefined;
    if (node.retired || this.#stopped || node.state !== 'probing') return;
    node.state = 'alive';
    node.error = undefined;
    this.#down--;
    this.#onChange();
    const downtime = Math.round(performance.now() - node.downSince);
    this.#report({ type: 'server:up', event: { server: node.name, downtime, flushed: this.#settings.flushOnReconnect } });
  }

  /** Listeners run on the next tick, never inside the failure or routing that caused the event. */
  #report(event: HealthEvent): void {
    process.nextTick(this.#emit, event);
  }
}
