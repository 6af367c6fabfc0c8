/**
 * The adapters' log of the keys they wrote, on its own: whether a key was written after a given
 * write, and that it says it cannot tell once more writes came since than it keeps; and the
 * writes whose late steps are not taken yet, which an adapter's close waits for.
 */
import { describe, expect, it } from 'vitest';
import { WriteLog } from '../ts/adapters/write-log.js';

describe('WriteLog', () => {
  it('tells whether a key was written after a given write, and only after it', () => {
    const log = new WriteLog();
    const first = log.wrote('a');
    log.wrote('b');
    expect(log.writtenSince('a', first)).toBe(false);
    expect(log.writtenSince('b', first)).toBe(true);
    const again = log.wrote('a');
    expect(log.writtenSince('a', first)).toBe(true);
    expect(log.writtenSince('a', again)).toBe(false);
    expect(log.last).toBe(again);
  });

  it('cannot tell once more writes came since than it keeps, but still can up to then', () => {
    const log = new WriteLog();
    const first = log.wrote('a');
    for (let i = 0; i < 4096; i++) log.wrote(`other:${i}`);
    expect(log.writtenSince('a', first)).toBe(false); // 4,096 later writes: all still kept
    log.wrote('other:last');
    expect(log.writtenSince('a', first)).toBeUndefined();
    expect(log.writtenSince('other:last', log.last - 1)).toBe(true);
  });

  it('idle() waits for the writes begun before it, however many, and not for those begun after it', async () => {
    const log = new WriteLog();
    await log.idle(); // none open: at once
    const before = [log.begin(), log.begin()];
    let idle = false;
    void log.idle().then(() => (idle = true));
    const after = log.begin(); // an application that keeps writing does not hold a close up
    before[0].ended(undefined);
    await Promise.resolve();
    expect(idle).toBe(false);
    expect(before[1].ended('result')).toBe('result'); // hands back what it is given: a handler of the write's promise
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(true);
    let second = false;
    void log.idle().then(() => (second = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false); // `after` is still open
    after.ended(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(true);
  });
});
