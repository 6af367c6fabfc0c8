/**
 * memcached's meta protocol, outbound (memcached >= 1.6.10; doc/protocol.txt "Meta Commands").
 * Every command carries an opaque (`O<n>`) that its reply echoes, so the connection can check
 * which request a reply answers. Arguments arrive validated (keys in wire form, integers in range).
 */
import type { CommandWriter } from '../command-writer.js';
import type { Payload, StorageVerb } from '../text-commands.js';
import { opaqueDigits } from './opaque-digits.js';

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
 * How a command carries its key: 'wire', as is (the text key rules made it safe on a command
 * line); 'base64' (binaryKeys), its bytes in base64 with the `b` flag, so any byte can travel.
 */
export type KeyEncoding = 'wire' | 'base64';

/** The key as written on the command line. */
export function keyToken(key: string, encoding: KeyEncoding): string {
  return encoding === 'wire' ? key : Buffer.from(key, 'latin1').toString('base64');
}

/** The flag telling the server how the key came: none, or `b` (base64). */
export const KEY_FLAG: Readonly<Record<KeyEncoding, string>> = { wire: '', base64: ' b' };

/**
 * `ms <key> <datalen> [b] [F<flags>] [T<exptime>] [C<cas>] [M<mode>] [q] O<n>\r\n<data>\r\n`.
 * append / prepend ignore F and T server-side, as their text forms do.
 */
export function encodeMetaStore(
  w: CommandWriter,
  verb: StorageVerb,
  key: string,
  encoding: KeyEncoding,
  value: Payload,
  exptime: number,
  cas: string | undefined,
  quiet: boolean,
  opaque: number,
): void {
  // F0 and T0 are what memcached assumes without them: left out, the common set is shorter to write and to parse.
  let line = `ms ${keyToken(key, encoding)} ${value.length}${KEY_FLAG[encoding]}${value.flags === 0 ? '' : ` F${value.flags}`}${exptime === 0 ? '' : ` T${exptime}`}${STORE_MODE[verb]}`;
  if (cas !== undefined) line += ` C${cas}`;
  w.latin1(`${line}${quiet ? QUIET : ''} O${opaqueDigits(opaque)}\r\n`);
  if (typeof value.data === 'string') w.utf8(value.data, value.length);
  else w.bytes(value.data);
  w.latin1('\r\n');
}

/** `md <key> [b] [q] O<n>\r\n` */
export function encodeMetaDelete(w: CommandWriter, key: string, encoding: KeyEncoding, quiet: boolean, opaque: number): void {
  w.latin1(`md ${keyToken(key, encoding)}${KEY_FLAG[encoding]}${quiet ? QUIET : ''} O${opaqueDigits(opaque)}\r\n`);
}

/** Creating a missing counter: its initial value (decimal digits) and ttl. */
export interface CounterSeed {
  readonly initial: string;
  readonly exptime: number;
}

/**
 * `ma <key> [b] [N<ttl> J<initial>] D<delta> [MD] v O<n>\r\n`, or quiet without `v`. With a seed a
 * missing counter is created at `initial` (the delta is not applied), atomically.
 */
export function encodeMetaArith(
  w: CommandWriter,
  decrement: boolean,
  key: string,
  encoding: KeyEncoding,
  delta: string,
  seed: CounterSeed | undefined,
  quiet: boolean,
  opaque: number,
): void {
  let line = `ma ${keyToken(key, encoding)}${KEY_FLAG[encoding]}`;
  if (seed !== undefined) line += ` N${seed.exptime} J${seed.initial}`;
  line += ` D${delta}`;
  if (decrement) line += ' MD';
  w.latin1(`${line}${quiet ? QUIET : ' v'} O${opaqueDigits(opaque)}\r\n`);
}

/**
 * `mg <key> [b] v f c t s h l [T<ttl>] O<n>\r\n`: the value with everything memcached knows of the
 * item (client flags, cas, ttl left, size, hit before, seconds since the last access).
 */
export function encodeMetaItem(w: CommandWriter, key: string, encoding: KeyEncoding, touch: number | undefined, opaque: number): void {
  const ttl = touch === undefined ? '' : ` T${touch}`;
  w.latin1(`mg ${keyToken(key, encoding)}${KEY_FLAG[encoding]} v f c t s h l${ttl} O${opaqueDigits(opaque)}\r\n`);
}

/**
 * `mg <key> [b] v f [c] [T<ttl>] [q] O<n>\r\n`: get, gets (`c`), gat / gats (`T`): `VA` with the
 * value and its client flags, `EN` on a miss, which `q` leaves unanswered.
 */
export function encodeMetaGet(
  w: CommandWriter,
  key: string,
  encoding: KeyEncoding,
  cas: boolean,
  touch: number | undefined,
  quiet: boolean,
  opaque: number,
): void {
  let line = `mg ${keyToken(key, encoding)}${KEY_FLAG[encoding]} v f`;
  if (cas) line += ' c';
  if (touch !== undefined) line += ` T${touch}`;
  w.latin1(`${line}${quiet ? QUIET : ''} O${opaqueDigits(opaque)}\r\n`);
}

/** `mg <key> [b] T<ttl> O<n>\r\n`: touch, answered `HD` when the key exists, `EN` when not. */
export function encodeMetaTouch(w: CommandWriter, key: string, encoding: KeyEncoding, exptime: number, opaque: number): void {
  w.latin1(`mg ${keyToken(key, encoding)}${KEY_FLAG[encoding]} T${exptime} O${opaqueDigits(opaque)}\r\n`);
}

/** `mn\r\n`: answered `MN` once every command before it on the connection was. */
export function encodeMetaNoop(w: CommandWriter): void {
  w.latin1('mn\r\n');
}
