import { describe, expect, it } from 'vitest';
import { takeBatch, type PendingAppend } from '../src/pending-append.ts';

const append = (streamId: string, dataChars: number, metadata: string | null = null): PendingAppend => ({
  streamId,
  events: [{ type: 'Noted', data: 'x'.repeat(dataChars), metadata }],
  expected: 'any',
  resolve: () => undefined,
  reject: () => undefined,
});

describe('the appends one transaction takes', () => {
  it('takes appends in order up to the count, leaving the rest queued', () => {
    const queue = ['a', 'b', 'c'].map((s) => append(s, 1));
    expect(takeBatch(queue, { appends: 2, chars: 1000 }).map((a) => a.streamId)).toEqual(['a', 'b']);
    expect(queue.map((a) => a.streamId)).toEqual(['c']);
  });

  it("stops before the append whose text would pass the limit, counting metadata (none as JSON's null)", () => {
    const queue = [append('a', 40), append('b', 40, '{"by":"x"}'), append('c', 10)];
    expect(takeBatch(queue, { appends: 500, chars: 100 }).map((a) => a.streamId)).toEqual(['a', 'b']);
    expect(takeBatch(queue, { appends: 500, chars: 100 }).map((a) => a.streamId)).toEqual(['c']);
  });

  it('always takes the first append, however large, so that nothing waits for good', () => {
    const queue = [append('a', 500), append('b', 1)];
    expect(takeBatch(queue, { appends: 500, chars: 100 }).map((a) => a.streamId)).toEqual(['a']);
    expect(queue.map((a) => a.streamId)).toEqual(['b']);
  });
});
