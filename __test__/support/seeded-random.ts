/**
 * mulberry32: a small, fast generator of numbers in [0, 1) that is deterministic for a seed, so a
 * run's random choices (faults, chaos operations) can be replayed from the seed it printed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
