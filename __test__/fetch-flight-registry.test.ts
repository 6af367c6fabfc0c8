/**
 * The registry of fetches under way on its own: an ended flight leaves its key marked, not
 * deleted (so a batch of fetches does not reallocate the Map's table), and the ended keys are
 * swept in bounded numbers without losing a flight still under way.
 */
import { describe, expect, it } from 'vitest';
import { FlightRegistry } from '../ts/cache-aside/flight-registry.js';

interface TestFlight {
  readonly name: string;
}

describe('FlightRegistry', () => {
  it('has no flight for a key whose flight ended, and lets a new one start there', () => {
    const flights = new FlightRegistry<TestFlight>();
    const first = { name: 'first' };
    flights.start('k', first);
    expect(flights.get('k')).toBe(first);
    flights.end('k');
    expect(flights.get('k')).toBeUndefined();
    const second = { name: 'second' };
    flights.start('k', second);
    expect(flights.get('k')).toBe(second);
  });

  it('keeps an ended key until a sweep: a key fetched again and again holds one entry', () => {
    const flights = new FlightRegistry<TestFlight>();
    for (let i = 0; i < 10_000; i++) {
      flights.start('hot', { name: `round ${i}` });
      flights.end('hot');
    }
    expect(flights.held).toBe(1);
  });

  it('holds at most 4096 ended keys of a stream of distinct keys, and a sweep keeps every flight under way', () => {
    const flights = new FlightRegistry<TestFlight>();
    const running = Array.from({ length: 10 }, (_, i) => ({ name: `running ${i}` }));
    running.forEach((flight, i) => flights.start(`running:${i}`, flight));
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      flights.start(`done:${i}`, { name: `done ${i}` });
      flights.end(`done:${i}`);
      most = Math.max(most, flights.held - running.length);
    }
    expect(most).toBeLessThanOrEqual(4096);
    expect(flights.held).toBeLessThan(4096 + running.length);
    running.forEach((flight, i) => expect(flights.get(`running:${i}`)).toBe(flight));
  });
});
