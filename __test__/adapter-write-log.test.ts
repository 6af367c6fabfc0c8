/**
 * The adapters' log of the keys they wrote, on its own: whether a key was written after a given
 * write, and that it says it cannot tell once more writes came since than it keeps.
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
});
