/**
 * A lease placeholder (see lease.ts) is an item of 0 bytes with client flags 0, which is also
 * what an empty Buffer stored by `set` is (python-memcached's bytes flags), so a text `get`
 * cannot tell them apart. Only such a value, from a server that speaks meta, is asked about
 * again, with `mg <key> v f c t`, whose W / Z flags tell: every other value is taken as it is,
 * at no cost. What the `mg` finds is the answer (the item may have changed since the `get`):
 * - a miss, or 0 bytes with a lease on it: no value;
 * - anything else: that value (an empty Buffer with no lease is one).
 * A plain `mg` on a stale item whose lease is free takes the lease (W): nobody would reload it,
 * so it is handed back at once: marked stale again (`md … C<cas> I T<ttl left>`), or deleted
 * (`md … C<cas>`) when it is a placeholder not invalidated.
 */
import type { MemcacheError } from '../../errors.js';
import { Command, type CommandId } from '../../observability/metrics.js';
import type { CommandWriter } from '../command-writer.js';
import { ReplyKind } from '../replies.js';
import { Request, type ValueDecoder } from '../request.js';
import type { CasItem } from '../requests/retrieval.js';
import { decodeRecordValue } from '../value-decoding.js';
import { isLeasePlaceholder, leaseBits, MetaReleaseRequest, staleLease, wonLease } from './lease.js';
import type { KeyEncoding } from './commands.js';
import { opaqueDigits } from './opaque-digits.js';
import { returnedFlags } from './replies.js';

/**
 * What `key` (wire form) holds, asked after `after`'s text get found it 0 bytes with flags 0:
 * `{ value, cas }`, or undefined for no value. Undefined (nothing asked) when the server does
 * not speak meta: the value is then taken as the empty Buffer it looks like.
 */
export function askAboutEmptyValue(key: string, decoder: ValueDecoder, after: Request): Promise<CasItem | undefined> | undefined {
  const connection = after.watcher;
  if (connection === undefined || !connection.speaksMeta) return undefined;
  const probe = new PlaceholderProbeRequest(key, decoder, after.timeout);
  probe.metrics = after.metrics; // part of the get: no op of its own, its failure counted there
  connection.send(probe);
  return probe.promise;
}

class PlaceholderProbeRequest extends Request<CasItem | undefined> {
  readonly #key: string;
  readonly #decoder: ValueDecoder;

  constructor(key: string, decoder: ValueDecoder, timeout: number) {
    super(timeout, undefined);
    this.#key = key;
    this.#decoder = decoder;
  }

  get command(): CommandId {
    return Command.get;
  }

  override get idempotent(): boolean {
    return true;
  }

  encode(w: CommandWriter): void {
    this.opaque = w.opaques(1);
    w.latin1(`mg ${this.#key} v f c t O${opaqueDigits(this.opaque)}\r\n`);
  }

  onReply(kind: number, buf: Buffer, rec: Uint32Array, off: number): boolean {
    if (kind === ReplyKind.META_EN) {
      this.resolve(undefined);
      return true;
    }
    if (kind !== ReplyKind.META_VA) return this.rejectWithErrorReply('get', kind, buf, rec, off);
    const returned = returnedFlags(buf, rec, off);
    const cas = returned.get('c') ?? '';
    const placeholder = isLeasePlaceholder(buf, rec, off);
    const bits = leaseBits(buf, rec, off);
    // A stale item stays (an invalidated empty Buffer looks like a placeholder): only a fresh placeholder goes.
    if (wonLease(bits)) releaseLease(this, this.#key, 'wire', cas, placeholder && !staleLease(bits) ? undefined : restaleTtl(Number(returned.get('t') ?? -1)));
    if (placeholder) {
      this.resolve(undefined);
      return true;
    }
    // Aborted or timed out: not decoded (a value decoded off the main thread would fail with nobody waiting).
    if (this.settled) return true;
    try {
      const value = decodeRecordValue(this.#decoder, buf, rec, off, this.server);
      const unique = BigInt(cas);
      this.resolveDecoded(value, (decoded) => ({ value: decoded, cas: unique }));
    } catch (error) {
      this.reject(error as MemcacheError);
    }
    return true;
  }
}

/**
 * A meta read (mg without N, which leases nothing on its own) that was handed a stale item's
 * lease (W: memcached gives it to the first reader of an invalidated item, whatever it asked)
 * gives it back at once, marking the item stale again with the ttl it has, so that a fetch
 * reloads it. `withCas`: the read asked for the item's cas, which the release then names (else a
 * value set in between is marked stale too, which costs one reload).
 */
export function handBackReadLease(after: Request, key: string, encoding: KeyEncoding, buf: Buffer, rec: Uint32Array, off: number, withCas: boolean): void {
  if (!wonLease(leaseBits(buf, rec, off))) return;
  const cas = withCas ? (returnedFlags(buf, rec, off).get('c') ?? '') : '';
  releaseLease(after, key, encoding, cas, 'keep');
}

/** Gives back a lease `after` took by accident, on its connection, as part of it (see MetaReleaseRequest). */
function releaseLease(after: Request, key: string, encoding: KeyEncoding, cas: string, restale: number | 'keep' | undefined): void {
  const release = new MetaReleaseRequest(key, encoding, cas, restale, after.timeout);
  release.metrics = after.metrics;
  release.promise.catch(() => {}); // nobody waits: the lease would expire by itself
  after.watcher?.send(release);
}

/** The ttl to mark a value stale again with: what it had left (-1, never expiring, stays so: T0; never 0 s, which would also mean never). */
function restaleTtl(ttl: number): number {
  return ttl < 0 ? 0 : Math.max(ttl, 1);
}
