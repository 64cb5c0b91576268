import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { deadLetterTopicOf, type DeliveredRecord } from './bus.ts';
import { headersOf } from './kafka-consumer.ts';

/**
 * The newest `limit` records of a topic's dead-letter topic, oldest first. Kafka reads through a consumer
 * group: a throwaway one seeks each partition to its last `limit` records, commits nothing, and is deleted.
 */
export async function readDeadLetters(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  limit: number,
  timeoutMs = 30_000,
): Promise<DeliveredRecord[]> {
  const letters = deadLetterTopicOf(topic);
  if (limit <= 0 || !(await admin.listTopics()).includes(letters)) return [];
  const ranges = (await admin.fetchTopicOffsets(letters))
    .map(({ partition, low, high }) => {
      const end = BigInt(high);
      const from = end - BigInt(limit) > BigInt(low) ? end - BigInt(limit) : BigInt(low);
      return { partition, from, end };
    })
    .filter(({ from, end }) => from < end);
  if (ranges.length === 0) return [];
  const unread = new Map(ranges.map((r) => [r.partition, r]));
  const records: DeliveredRecord[] = [];
  let allRead!: () => void;
  const read = new Promise<void>((resolve) => (allRead = resolve));
  const groupId = `klaxon-dead-letter-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [letters], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const range = unread.get(partition);
        const offset = BigInt(message.offset);
        if (!range || offset < range.from || offset >= range.end) return;
        const text = message.value?.toString() ?? 'null';
        let value: unknown = text;
        try {
          value = JSON.parse(text);
        } catch {
          // A record dead-lettered because it is not JSON is shown as the text it is.
        }
        records.push({
          topic: letters,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value,
          headers: headersOf(message.headers),
          publishedAt: new Date(Number(message.timestamp)).toISOString(),
        });
        if (offset + 1n < range.end) return;
        unread.delete(partition);
        if (unread.size === 0) allRead();
      },
    });
    for (const { partition, from } of ranges) consumer.seek({ topic: letters, partition, offset: from.toString() });
    await Promise.race([
      read,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`dead letters not read within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  records.sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.partition - b.partition);
  return records.slice(-limit);
}
