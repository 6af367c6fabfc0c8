/**
 * The registry of fetches under way on its own: an ended flight stays as its key's entry, marked
 * ended, rather than being deleted (so a batch of fetches does not resize the Map's table), and
 * ended entries are swept in bounded numbers without losing a flight still under way.
 */
import { describe, expect, it } from 'vitest';
import { FlightRegistry } from '../ts/cache-aside/flight-registry.js';

const serverA = { name: 'A' };
const serverB = { name: 'B' };

class TestFlight {
  ended = false;
  constructor(
    readonly name: string,
    readonly node: object = serverA,
  ) {}
}

function end(flights: FlightRegistry<TestFlight>, flight: TestFlight): void {
  flight.ended = true;
  flights.ended();
}

describe('FlightRegistry', () => {
  it('has no flight for a key whose flight ended, and lets a new one start there', () => {
    const flights = new FlightRegistry<TestFlight>();
    const first = new TestFlight('first');
    flights.start('k', first);
    expect(flights.find('k', serverA)).toBe(first);
    end(flights, first);
    expect(flights.find('k', serverA)).toBeUndefined();
    const second = new TestFlight('second');
    flights.start('k', second);
    expect(flights.find('k', serverA)).toBe(second);
  });

  it('keeps one entry for a key fetched again and again', () => {
    const flights = new FlightRegistry<TestFlight>();
    for (let i = 0; i < 10_000; i++) {
      const flight = new TestFlight(`round ${i}`);
      flights.start('hot', flight);
      end(flights, flight);
    }
    expect(flights.held).toBe(1);
  });

  it('holds at most 4096 ended flights of a stream of distinct keys, and a sweep keeps every flight under way', () => {
    const flights = new FlightRegistry<TestFlight>();
    const running = Array.from({ length: 10 }, (_, i) => new TestFlight(`running ${i}`));
    running.forEach((flight, i) => flights.start(`running:${i}`, flight));
    let most = 0;
    for (let i = 0; i < 20_000; i++) {
      const flight = new TestFlight(`done ${i}`);
      flights.start(`done:${i}`, flight);
      end(flights, flight);
      most = Math.max(most, flights.held - running.length);
    }
    expect(most).toBeLessThanOrEqual(4096);
    expect(flights.held).toBeLessThan(4096 + running.length);
    running.forEach((flight, i) => expect(flights.find(`running:${i}`, serverA)).toBe(flight));
  });

  it("finds a key's flight on the server the key goes to, also one its entry replaced when the key moved away and back", () => {
    const flights = new FlightRegistry<TestFlight>();
    const onA = new TestFlight('on A', serverA);
    flights.start('k', onA);
    expect(flights.find('k', serverB)).toBeUndefined(); // the key moved to B: a flight of its own there
    const onB = new TestFlight('on B', serverB);
    flights.start('k', onB);
    expect(flights.find('k', serverB)).toBe(onB);
    expect(flights.find('k', serverA)).toBe(onA); // back on A while its flight runs: that flight, not another
    end(flights, onA);
    expect(flights.find('k', serverA)).toBeUndefined();
    expect(flights.underWay()).toEqual([onB]);
  });
});
