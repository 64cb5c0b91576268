import { grouped } from './grouped.ts';

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** Sends one topic's messages, in order, as one call (kafkajs's `producer.send`, split by size within it). */
export type SendMessages = (topic: string, messages: OutgoingMessage[]) => Promise<void>;

/**
 * Group commit for a producer with one request in flight (which keeps each key's order across kafkajs's
 * retries): the publishes that arrive while a send is in flight go together in the next one, in the order
 * they came. One send per publish made every caller wait for every other caller's acknowledgement in turn.
 * A send that fails refuses every publish in it; some of their records may have been written (at least
 * once, as a caller's retry after the refusal would write them again).
 */
export function groupedSender(send: SendMessages): (topic: string, messages: OutgoingMessage[]) => Promise<void> {
  const publish = grouped<{ topic: string; messages: OutgoingMessage[] }>(async (batch) => {
    for (const topic of new Set(batch.map((w) => w.item.topic))) {
      const together = batch.filter((w) => w.item.topic === topic);
      try {
        await send(
          topic,
          together.flatMap((w) => w.item.messages),
        );
        for (const w of together) w.resolve();
      } catch (error) {
        for (const w of together) w.reject(error);
      }
    }
  });
  return (topic, messages) => publish({ topic, messages });
}
