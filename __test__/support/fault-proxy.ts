// A fault-injecting TCP proxy for tests: client <-> proxy <-> memcached.
// Every chunk goes through a per-direction FIFO, so modes that wait (delay,
// drip, split) never reorder bytes, and a mode switch applies to the next
// chunk of live connections without overtaking what is already queued.
import net from 'node:net';
import { mulberry32 } from './seeded-random.js';

export type ProxyTarget = { host: string; port: number } | { path: string };
export type Direction = 'both' | 'toServer' | 'toClient';

/** Replies = toClient. `ms` of 0 (the default for drip/split) means one setImmediate. */
export type FaultMode =
  | { kind: 'pass' }
  /** Each chunk leaves no earlier than arrival + ms (direction default 'both'). */
  | { kind: 'delay'; ms: number; direction?: Direction }
  /** Both sockets paused: bytes wait in the kernel, released in order when lifted. */
  | { kind: 'stall' }
  /** RST on the next data of a live pair; RST at once on accept. */
  | { kind: 'reset' }
  /** Forward N more bytes per pair in direction (default 'toClient'), then FIN both. */
  | { kind: 'closeAfter'; bytes: number; direction?: Direction }
  /** Replies one byte per write. */
  | { kind: 'drip'; ms?: number }
  /** Each reply chunk cut at up to maxPieces-1 (default 7) seeded random offsets. */
  | { kind: 'split'; seed?: number; ms?: number; maxPieces?: number }
  /** With probability (default 1) per reply chunk, insert 1-4 bytes of 0x80-0xff. */
  | { kind: 'garbage'; probability?: number; seed?: number }
  /** New connections accepted then RST (ECONNRESET); live pairs keep passing. */
  | { kind: 'refuse' };

export type FaultKind = Exclude<FaultMode['kind'], 'pass'>;

export interface FaultProxyStats {
  /** Connections accepted (including ones reset on accept). */
  accepted: number;
  /** Connections refused in `refuse` mode. */
  refused: number;
  /** Live client/server pairs. */
  open: number;
  /** Bytes written to each side (garbage included). */
  bytesToServer: number;
  bytesToClient: number;
  /** Fault events: chunks for delay/drip/split/garbage, connections for the rest. */
  faults: Record<FaultKind, number>;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** A snapshot of the counters. */
  readonly stats: FaultProxyStats;
  setMode(mode: FaultMode): void;
  /** Kill every live pair now: RST to the client by default, FIN with 'fin'. */
  resetConnections(how?: 'rst' | 'fin'): void;
  close(): Promise<void>;
}

type Side = 'toServer' | 'toClient';
/** `gap`: wait before writing (0 = one setImmediate); `due`: absolute time. */
interface Piece { bytes?: Buffer; gap?: number; due?: number; end?: boolean; close?: boolean }
interface Pipe { side: Side; dst: net.Socket; queue: Piece[]; cancel?: () => void }
interface Pair {
  client: net.Socket;
  server: net.Socket;
  pipes: Record<Side, Pipe>;
  budget: number;
  closing: boolean;
  dead: boolean;
}

export async function startFaultProxy(opts: { target: ProxyTarget }): Promise<FaultProxy> {
  const proxy = new FaultProxyServer(opts.target);
  await proxy.listen();
  return proxy;
}

class FaultProxyServer implements FaultProxy {
  readonly host = '127.0.0.1';
  port = 0;
  private mode: FaultMode = { kind: 'pass' };
  private rng = mulberry32(DEFAULT_SEED);
  private readonly pairs = new Set<Pair>();
  private readonly server = net.createServer((s) => this.accept(s));
  private closed?: Promise<void>;
  private readonly counts = {
    accepted: 0, refused: 0, bytesToServer: 0, bytesToClient: 0,
    faults: { delay: 0, stall: 0, reset: 0, closeAfter: 0, drip: 0, split: 0, garbage: 0, refuse: 0 },
  };

  constructor(private readonly target: ProxyTarget) {}

  get stats(): FaultProxyStats {
    return { ...this.counts, faults: { ...this.counts.faults }, open: this.pairs.size };
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  setMode(mode: FaultMode): void {
    validate(mode);
    this.mode = mode;
    const seed = 'seed' in mode ? mode.seed : undefined;
    this.rng = mulberry32(seed ?? DEFAULT_SEED);
    for (const pair of this.pairs) this.applyMode(pair);
  }

  resetConnections(how: 'rst' | 'fin' = 'rst'): void {
    for (const pair of this.pairs) {
      this.counts.faults.reset++;
      this.destroyPair(pair, how === 'rst');
    }
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      for (const pair of this.pairs) this.destroyPair(pair, false);
      this.server.close(() => resolve());
    });
    return this.closed;
  }

  // Refusal is accept-then-RST rather than un-listening: the client sees an
  // immediate ECONNRESET, and the port can never be taken by someone else.
  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.mode.kind === 'refuse') {
      this.counts.refused++;
      this.counts.faults.refuse++;
      return void client.resetAndDestroy();
    }
    this.counts.accepted++;
    if (this.mode.kind === 'reset') {
      this.counts.faults.reset++;
      return void client.resetAndDestroy();
    }
    const server = net.connect(this.target);
    const pair: Pair = {
      client, server, budget: 0, closing: false, dead: false,
      pipes: {
        toServer: { side: 'toServer', dst: server, queue: [] },
        toClient: { side: 'toClient', dst: client, queue: [] },
      },
    };
    this.pairs.add(pair);
    this.wire(pair, client, 'toServer');
    this.wire(pair, server, 'toClient');
    this.applyMode(pair);
  }

  private wire(pair: Pair, src: net.Socket, side: Side): void {
    src.setNoDelay(true);
    src.on('data', (chunk: Buffer) => this.route(pair, side, chunk));
    // A FIN is forwarded only after the bytes queued ahead of it.
    src.on('end', () => this.enqueue(pair, side, [{ end: true }]));
    src.on('error', () => this.destroyPair(pair, true));
    src.on('close', () => {
      if (pair.client.destroyed && pair.server.destroyed) this.forget(pair);
    });
  }

  /** Stall holds bytes in the kernel (sockets paused) so TCP backpressure is real. */
  private applyMode(pair: Pair): void {
    if (this.mode.kind === 'closeAfter') pair.budget = this.mode.bytes;
    if (this.mode.kind === 'stall') {
      this.counts.faults.stall++;
      pair.client.pause();
      pair.server.pause();
      return;
    }
    pair.client.resume();
    pair.server.resume();
    this.pump(pair, pair.pipes.toServer);
    this.pump(pair, pair.pipes.toClient);
  }

  private route(pair: Pair, side: Side, chunk: Buffer): void {
    if (pair.closing) return;
    const m = this.mode;
    const f = this.counts.faults;
    const replies = side === 'toClient';
    if (m.kind === 'reset') {
      f.reset++;
      return this.destroyPair(pair, true);
    }
    if (m.kind === 'delay' && applies(m.direction ?? 'both', side)) {
      f.delay++;
      return this.enqueue(pair, side, [{ bytes: chunk, due: performance.now() + m.ms }]);
    }
    if (m.kind === 'closeAfter' && applies(m.direction ?? 'toClient', side)) {
      return this.enqueue(pair, side, this.planCloseAfter(pair, chunk));
    }
    if (m.kind === 'drip' && replies) {
      f.drip++;
      return this.enqueue(pair, side, planDrip(chunk, m.ms ?? 0));
    }
    if (m.kind === 'split' && replies) {
      f.split++;
      return this.enqueue(pair, side, planSplit(chunk, this.rng, m.ms ?? 0, m.maxPieces ?? 8));
    }
    if (m.kind === 'garbage' && replies && this.rng() < (m.probability ?? 1)) {
      f.garbage++;
      return this.enqueue(pair, side, [{ bytes: withGarbage(chunk, this.rng) }]);
    }
    this.enqueue(pair, side, [{ bytes: chunk }]);
  }

  private planCloseAfter(pair: Pair, chunk: Buffer): Piece[] {
    const take = Math.min(pair.budget, chunk.length);
    pair.budget -= take;
    const pieces: Piece[] = take > 0 ? [{ bytes: chunk.subarray(0, take) }] : [];
    if (pair.budget === 0) {
      pair.closing = true;
      this.counts.faults.closeAfter++;
      pieces.push({ close: true });
    }
    return pieces;
  }

  private enqueue(pair: Pair, side: Side, pieces: Piece[]): void {
    if (pair.dead) return;
    const pipe = pair.pipes[side];
    for (const p of pieces) pipe.queue.push(p);
    this.pump(pair, pipe);
  }

  /** Writes queued pieces in order; at most one timer per pipe. */
  private pump(pair: Pair, pipe: Pipe): void {
    while (!pair.dead && !pipe.cancel && pipe.queue.length > 0 && this.mode.kind !== 'stall') {
      const piece = pipe.queue[0];
      const wait = piece.gap ?? Math.max(0, (piece.due ?? 0) - performance.now());
      if (piece.gap !== undefined || wait > 0) {
        pipe.cancel = schedule(wait, () => {
          pipe.cancel = undefined;
          piece.gap = undefined; // a due time is re-checked: timers may fire early
          this.pump(pair, pipe);
        });
        return;
      }
      pipe.queue.shift();
      this.deliver(pair, pipe, piece);
    }
  }

  private deliver(pair: Pair, pipe: Pipe, piece: Piece): void {
    if (piece.close) return this.closePair(pair);
    if (piece.end) return void pipe.dst.end();
    if (!piece.bytes || !pipe.dst.writable) return;
    pipe.dst.write(piece.bytes);
    const key = pipe.side === 'toServer' ? 'bytesToServer' : 'bytesToClient';
    this.counts[key] += piece.bytes.length;
  }

  /** FIN both sides once queued bytes are out; destroy when the FIN is flushed. */
  private closePair(pair: Pair): void {
    for (const s of [pair.client, pair.server]) s.end(() => s.destroy());
  }

  private destroyPair(pair: Pair, rst: boolean): void {
    if (pair.dead) return;
    this.forget(pair);
    // No RST once a FIN is under way (closePair): libuv refuses to reset a socket that is shutting
    // down (uv_tcp_close_reset: EINVAL), Node then never closes its handle, and the process spins
    // at exit in its handle cleanup. Seen in the chaos child, once in ~25 runs under load.
    if (rst && !pair.client.destroyed && !pair.client.writableEnded) pair.client.resetAndDestroy();
    else pair.client.destroy();
    pair.server.destroy();
  }

  private forget(pair: Pair): void {
    pair.dead = true;
    for (const pipe of Object.values(pair.pipes)) {
      pipe.cancel?.();
      pipe.cancel = undefined;
      pipe.queue.length = 0;
    }
    this.pairs.delete(pair);
  }
}

const DEFAULT_SEED = 0x5eed;

function applies(direction: Direction, side: Side): boolean {
  return direction === 'both' || direction === side;
}

function planDrip(chunk: Buffer, ms: number): Piece[] {
  const pieces: Piece[] = [];
  for (let i = 0; i < chunk.length; i++) pieces.push({ bytes: chunk.subarray(i, i + 1), gap: ms });
  return pieces;
}

/** Cuts a chunk at up to maxPieces-1 distinct random offsets. */
function planSplit(chunk: Buffer, rng: () => number, ms: number, maxPieces: number): Piece[] {
  const want = Math.min(chunk.length - 1, 1 + Math.floor(rng() * (maxPieces - 1)));
  const cuts = new Set<number>();
  while (cuts.size < want) cuts.add(1 + Math.floor(rng() * (chunk.length - 1)));
  const points = [0, ...[...cuts].sort((a, b) => a - b), chunk.length];
  return points.slice(1).map((end, i) => ({ bytes: chunk.subarray(points[i], end), gap: ms }));
}

/**
 * Inserts 1-4 bytes from 0x80-0xff at a random offset. High bytes never form
 * protocol tokens (digits, spaces, CR, LF), so the corruption breaks framing
 * instead of silently rewriting a length or a key into another valid reply.
 */
function withGarbage(chunk: Buffer, rng: () => number): Buffer {
  const at = Math.floor(rng() * (chunk.length + 1));
  const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rng() * 4) }, () => 0x80 + Math.floor(rng() * 0x80)));
  return Buffer.concat([chunk.subarray(0, at), junk, chunk.subarray(at)]);
}

function schedule(ms: number, fn: () => void): () => void {
  if (ms <= 0) {
    const t = setImmediate(fn);
    return () => clearImmediate(t);
  }
  const t = setTimeout(fn, Math.ceil(ms));
  return () => clearTimeout(t);
}

function validate(mode: FaultMode): void {
  const bad = (field: string) => new TypeError(`fault proxy: ${mode.kind}.${field} is invalid`);
  if ('ms' in mode && mode.ms !== undefined && !(mode.ms >= 0 && Number.isFinite(mode.ms))) throw bad('ms');
  if (mode.kind === 'closeAfter' && !(Number.isInteger(mode.bytes) && mode.bytes >= 0)) throw bad('bytes');
  if (mode.kind === 'garbage' && mode.probability !== undefined && !(mode.probability >= 0 && mode.probability <= 1)) {
    throw bad('probability');
  }
  if (mode.kind === 'split' && mode.maxPieces !== undefined && !(Number.isInteger(mode.maxPieces) && mode.maxPieces >= 2)) {
    throw bad('maxPieces');
  }
}
