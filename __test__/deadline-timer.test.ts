/**
 * The request-deadline timer on its own, on fake timers: it is lazy (one timer for the earliest
 * deadline, moved only for a strictly earlier one), unref'd, and tells the time when it fires.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from '../ts/connection/deadline-timer.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function recorder(): { fired: number[]; timer: DeadlineTimer } {
  const fired: number[] = [];
  return { fired, timer: new DeadlineTimer((now) => fired.push(now)) };
}

describe('DeadlineTimer', () => {
  it('fires once by the deadline, with the time', () => {
    const { fired, timer } = recorder();
    const start = performance.now();
    timer.arm(start + 50);
    vi.advanceTimersByTime(49);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([start + 50]);
    vi.advanceTimersByTime(1000);
    expect(fired).toHaveLength(1);
  });

  it('keeps the earlier deadline: a later one creates no timer', () => {
    const { fired, timer } = recorder();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const start = performance.now();
    timer.arm(start + 50);
    timer.arm(start + 80);
    timer.arm(start + 50);
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([start + 50]);
  });

  it('moves to a strictly earlier deadline', () => {
    const { fired, timer } = recorder();
    const start = performance.now();
    timer.arm(start + 50);
    timer.arm(start + 20);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([start + 20]);
  });

  it('can be armed again once it fired, also from its own callback', () => {
    const fired: number[] = [];
    const timer: DeadlineTimer = new DeadlineTimer((now) => {
      fired.push(now);
      if (fired.length === 1) timer.arm(now + 30);
    });
    const start = performance.now();
    timer.arm(start + 10);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([start + 10, start + 40]);
  });

  it('rounds the delay up to whole ms, at least 1, also for a deadline already past', () => {
    const { fired, timer } = recorder();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const start = performance.now();
    timer.arm(start + 2.2);
    expect(setTimeoutSpy).toHaveBeenLastCalledWith(expect.any(Function), 3);
    timer.clear();
    timer.arm(start - 100);
    expect(setTimeoutSpy).toHaveBeenLastCalledWith(expect.any(Function), 1);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([start + 1]);
  });

  it('never holds the process', () => {
    const { timer } = recorder();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    timer.arm(performance.now() + 50);
    expect((setTimeoutSpy.mock.results[0]!.value as NodeJS.Timeout).hasRef()).toBe(false);
  });

  it('fires no more once cleared, and is armed afresh after', () => {
    const { fired, timer } = recorder();
    const start = performance.now();
    timer.arm(start + 10);
    timer.clear();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    // Cleared, a later deadline than the old one is taken, not compared with it.
    timer.arm(start + 150);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([start + 150]);
  });
});
