import { describe, expect, it } from 'vitest';
import { groupedCommit, type PartitionCommit } from '../src/kafka-grouped-commit.ts';
import { outcomeOf, nextTurn } from './support/outcome.ts';

type Offsets = Parameters<PartitionCommit['payload']['commitOffsetsIfNecessary']>[0];

/** Batches' own commit calls, each held until the test lets its request go, as the group coordinator would. */
function heldBatches() {
  const requests: Array<{ batch: string; partitions: Array<[number, string]>; done: (error?: Error) => void }> = [];
  const batch = (name: string, partition: number, offset: string): PartitionCommit => ({
    partition,
    offset,
    payload: {
      commitOffsetsIfNecessary: (offsets?: Offsets) =>
        new Promise<void>((resolve, reject) => {
          const topics = offsets?.topics ?? [];
          requests.push({
            batch: name,
            partitions: topics.flatMap((t) => t.partitions.map((p) => [p.partition, p.offset] as [number, string])),
            done: (error) => (error ? reject(error) : resolve()),
          });
        }),
    },
  });
  return { requests, batch };
}
const settled = (p: Promise<void>) => outcomeOf(p, 'committed');

describe('committing offsets for partitions handled side by side: the commits that wait go in one request', () => {
  it('given a commit in flight, the batches that end meanwhile commit together, each partition at its furthest offset', async () => {
    const { requests, batch } = heldBatches();
    const commit = groupedCommit('alerts');
    const first = commit(batch('p0', 0, '11'));
    await nextTurn();
    const later = [commit(batch('p1', 1, '5')), commit(batch('p2', 2, '40')), commit(batch('p1-next', 1, '9'))];
    await nextTurn();
    expect(requests.map((r) => r.partitions)).toEqual([[[0, '11']]]);
    requests[0]!.done();
    expect(await settled(first)).toBe('committed');
    await nextTurn();
    expect(requests.map((r) => r.partitions)).toEqual([
      [[0, '11']],
      [
        [1, '9'],
        [2, '40'],
      ],
    ]);
    // Through a batch that is still waiting for it, so still in hand.
    expect(requests[1]!.batch).toBe('p1-next');
    requests[1]!.done();
    expect(await Promise.all(later.map(settled))).toEqual(['committed', 'committed', 'committed']);
  });

  it('a refused request refuses every batch in it, and the next request carries only the batches after it', async () => {
    const { requests, batch } = heldBatches();
    const commit = groupedCommit('alerts');
    const first = commit(batch('p0', 0, '3'));
    await nextTurn();
    const second = [commit(batch('p1', 1, '7')), commit(batch('p2', 2, '8'))];
    await nextTurn();
    requests[0]!.done();
    await nextTurn();
    requests[1]!.done(new Error('ILLEGAL_GENERATION'));
    expect(await settled(first)).toBe('committed');
    expect(await Promise.all(second.map(settled))).toEqual([
      'refused: ILLEGAL_GENERATION',
      'refused: ILLEGAL_GENERATION',
    ]);
    const third = commit(batch('p0', 0, '4'));
    await nextTurn();
    expect(requests.map((r) => r.partitions)).toEqual([
      [[0, '3']],
      [
        [1, '7'],
        [2, '8'],
      ],
      [[0, '4']],
    ]);
    requests[2]!.done();
    expect(await settled(third)).toBe('committed');
  });
});
