/**
 * memcached's meta protocol, outbound (memcached >= 1.6.10; doc/protocol.txt "Meta Commands").
 * Every command carries an opaque (`O<n>`) that its reply echoes, so the connection can check
 * which request a reply answers. Arguments arrive validated (keys in wire form, integers in range).
 */
import type { CommandWriter } from '../command-writer.js';
import type { Payload, StorageVerb } from '../text-commands.js';

/** `ms` mode flags (`M<mode>`) per storage verb; set is the default and cas is set with `C<cas>`. */
const STORE_MODE: Readonly<Record<StorageVerb, string>> = {
  set: '',
  cas: '',
  add: ' ME',
  replace: ' MR',
  append: ' MA',
  prepend: ' MP',
};

/** What a quiet (`q`) command adds: only failures are answered. */
const QUIET = ' q';

/**
 * `ms <key> <datalen> F<flags> T<exptime> [C<cas>] [M<mode>] [q] O<n>\r\n<data>\r\n`.
 * append / prepend ignore F and T server-side, as their text forms do.
 */
export function encodeMetaStore(
  w: CommandWriter,
  verb: StorageVerb,
  key: string,
  value: Payload,
  exptime: number,
  cas: string | undefined,
  quiet: boolean,
  opaque: number,
): void {
  let line = `ms ${key} ${value.length} F${value.flags} T${exptime}${STORE_MODE[verb]}`;
  if (cas !== undefined) line += ` C${cas}`;
  w.latin1(`${line}${quiet ? QUIET : ''} O${opaque}\r\n`);
  if (typeof value.data === 'string') w.utf8(value.data, value.length);
  else w.bytes(value.data);
  w.latin1('\r\n');
}

/** `md <key> [q] O<n>\r\n` */
export function encodeMetaDelete(w: CommandWriter, key: string, quiet: boolean, opaque: number): void {
  w.latin1(quiet ? `md ${key} q O${opaque}\r\n` : `md ${key} O${opaque}\r\n`);
}

/** Creating a missing counter: its initial value (decimal digits) and ttl. */
export interface CounterSeed {
  readonly initial: string;
  readonly exptime: number;
}

/**
 * `ma <key> [N<ttl> J<initial>] D<delta> [MD] v O<n>\r\n`, or quiet without `v`. With a seed a
 * missing counter is created at `initial` (the delta is not applied), atomically.
 */
export function encodeMetaArith(
  w: CommandWriter,
  decrement: boolean,
  key: string,
  delta: string,
  seed: CounterSeed | undefined,
  quiet: boolean,
  opaque: number,
): void {
  let line = `ma ${key}`;
  if (seed !== undefined) line += ` N${seed.exptime} J${seed.initial}`;
  line += ` D${delta}`;
  if (decrement) line += ' MD';
  w.latin1(`${line}${quiet ? QUIET : ' v'} O${opaque}\r\n`);
}

/**
 * `mg <key> v f c t s h l [T<ttl>] O<n>\r\n`: the value with everything memcached knows of the
 * item (client flags, cas, ttl left, size, hit before, seconds since the last access).
 */
export function encodeMetaItem(w: CommandWriter, key: string, touch: number | undefined, opaque: number): void {
  const ttl = touch === undefined ? '' : ` T${touch}`;
  w.latin1(`mg ${key} v f c t s h l${ttl} O${opaque}\r\n`);
}

/** `mn\r\n`: answered `MN` once every command before it on the connection was. */
export function encodeMetaNoop(w: CommandWriter): void {
  w.latin1('mn\r\n');
}
