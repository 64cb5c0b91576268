export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** Sends one topic's messages, in order, as one call (kafkajs's `producer.send`, split by size within it). */
export type SendMessages = (topic: string, messages: OutgoingMessage[]) => Promise<void>;

interface Waiting {
  topic: string;
  messages: OutgoingMessage[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a producer with one request in flight (which keeps each key's order across kafkajs's
 * retries): the publishes that arrive while a send is in flight go together in the next one, in the order
 * they came. One send per publish made every caller wait for every other caller's acknowledgement in turn.
 * A send that fails refuses every publish in it; some of their records may have been written (at least
 * once, as a caller's retry after the refusal would write them again).
 */
export function groupedSender(send: SendMessages): (topic: string, messages: OutgoingMessage[]) => Promise<void> {
  const waiting: Waiting[] = [];
  let sending = false;
  const sendWaiting = async () => {
    sending = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0);
      for (const topic of new Set(batch.map((w) => w.topic))) {
        const together = batch.filter((w) => w.topic === topic);
        try {
          await send(
            topic,
            together.flatMap((w) => w.messages),
          );
          for (const w of together) w.resolve();
        } catch (error) {
          for (const w of together) w.reject(error);
        }
      }
    }
    sending = false;
  };
  return (topic, messages) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ topic, messages, resolve, reject });
      if (!sending) void sendWaiting();
    });
}
