/**
 * An opaque's decimal digits without converting the number: `String(n)` of a number never printed
 * before enters V8's number-to-string cache, an old-generation table, so a fresh opaque per
 * request kept every such string alive past two scavenges and tripled the GC cost of a meta set
 * (bench/PROFILE.md). Built from fixed strings for each group of three digits instead, the
 * result is young garbage that dies with the command line it goes into.
 */

const GROUP = 1000;
/** '0' … '999': the leading group. */
const PLAIN: readonly string[] = Array.from({ length: GROUP }, (_, i) => String(i));
/** '000' … '999': every later group. */
const PADDED: readonly string[] = PLAIN.map((s) => s.padStart(3, '0'));

/** The decimal digits of `n`, a non-negative integer below 2^53. */
export function opaqueDigits(n: number): string {
  if (n < GROUP) return PLAIN[n];
  const low = n % GROUP;
  const rest = (n - low) / GROUP;
  return opaqueDigits(rest) + PADDED[low];
}
