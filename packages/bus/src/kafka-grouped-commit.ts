import type { EachBatchPayload } from 'kafkajs';
import { grouped } from './grouped.ts';

/** Where a partition's batch got to: Kafka's committed offset names the next record to read. */
export interface PartitionCommit {
  /** The batch's own kafkajs calls: the request goes through a batch still in hand (see below). */
  payload: Pick<EachBatchPayload, 'commitOffsetsIfNecessary'>;
  partition: number;
  offset: string;
}

/**
 * One offset commit for the partitions whose batches end together. Batches of one fetch are handled side
 * by side and end at about the same time; a commit each made one broker request (an append to its offsets
 * log) per partition per fetch. Commits that come while one is in flight go together in the next request,
 * each partition at the furthest offset asked for, and every batch in it hears that request's outcome.
 * The request goes through the last batch's own call, which is still in hand (it waits for this commit):
 * kafkajs's consumer.commitOffsets refuses once stop() began, and a batch must commit on a clean stop.
 * kafkajs raises the first partition's error of the answer for the whole request, so an error refuses
 * every batch in it: each then acts on it as on its own commit's (at least once either way).
 */
export function groupedCommit(topic: string): (commit: PartitionCommit) => Promise<void> {
  return grouped<PartitionCommit>(async (batch) => {
    const furthest = new Map<number, bigint>();
    for (const { item } of batch) {
      const offset = BigInt(item.offset);
      if (offset > (furthest.get(item.partition) ?? -1n)) furthest.set(item.partition, offset);
    }
    const partitions = [...furthest].map(([partition, offset]) => ({ partition, offset: offset.toString() }));
    // A refused request refuses every batch in it: `grouped` rejects the items of a flush that throws.
    await batch.at(-1)!.item.payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions }] });
    for (const w of batch) w.resolve();
  });
}
