/**
 * python-memcached's bucket list (each server repeated `weight` times, in order) without building
 * it: bucket b belongs to the server whose run of buckets holds b. A weight of 10^9 costs no memory.
 */
export class WeightedBuckets {
  /** Buckets in all; 0 when every weight is 0. */
  readonly count: number;
  /** `#ends[j]`: one past the last bucket of the j-th server with a weight. */
  readonly #ends: number[] = [];
  readonly #servers: number[] = [];

  /** `include(i)` false leaves server i out, as if it were not listed. */
  constructor(weights: readonly number[], include: (index: number) => boolean = () => true) {
    let end = 0;
    weights.forEach((weight, index) => {
      if (weight <= 0 || !include(index)) return;
      end += weight;
      this.#ends.push(end);
      this.#servers.push(index);
    });
    this.count = end;
  }

  /** The server index owning `bucket` (0 <= bucket < count). */
  owner(bucket: number): number {
    const ends = this.#ends;
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (ends[mid] <= bucket) low = mid + 1;
      else high = mid;
    }
    return this.#servers[low];
  }
}
