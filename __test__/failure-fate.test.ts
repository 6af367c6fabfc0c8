/** The pure decision of what becomes of each request on a destroyed connection (connection/failure-fate.ts). */
import { describe, expect, it } from 'vitest';
import { fateOf, type FailurePlan } from '../ts/connection/failure-fate.js';
import { TimeoutError } from '../ts/errors.js';
import { GetRequest } from '../ts/protocol/requests/retrieval.js';

const decoder = { decode: () => undefined };
const get = (): GetRequest => new GetRequest('get', 0, 'k', decoder, 1000, undefined);
const plan = (overrides: Partial<FailurePlan>): FailurePlan => ({ culprits: undefined, broke: false, partlyAnswered: undefined, ...overrides });

describe('fateOf', () => {
  it('a request that timed out fails with its own error, even when the socket broke', () => {
    const request = get();
    const timeout = new TimeoutError('late');
    expect(fateOf(request, plan({ culprits: new Map([[request, timeout]]), broke: true }))).toEqual({ kind: 'own', error: timeout });
  });

  it('when the socket broke, a wanted request with no reply byte read is offered for a retry', () => {
    expect(fateOf(get(), plan({ broke: true }))).toEqual({ kind: 'offer' });
  });

  it('a request partly answered, or one nobody waits for, is never offered', () => {
    const partly = get();
    expect(fateOf(partly, plan({ broke: true, partlyAnswered: partly }))).toEqual({ kind: 'fail' });
    const aborted = get();
    aborted.resolve(undefined);
    expect(fateOf(aborted, plan({ broke: true }))).toEqual({ kind: 'fail' });
  });

  it('when the socket did not break (a timeout, a malformed reply), everything else fails', () => {
    expect(fateOf(get(), plan({}))).toEqual({ kind: 'fail' });
  });
});
