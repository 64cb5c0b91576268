import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  deadLetterHeaders,
  deadLetterTopicOf,
  UnprocessableRecordError,
  type BusConsumer,
  type ConsumeOptions,
  type DeliveredRecord,
} from './bus.ts';
import { groupedCommit } from './kafka-grouped-commit.ts';
import { DEAD_LETTER_AFTER, poisonReason, tallyFailure, type FailureTally } from './poison.ts';

export interface GroupConsumerSettings {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** The broker drops a member it has not heard from for this long and gives its partitions to others. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** A group with no committed offset starts this far back in the log (see seedNewGroup). */
  newGroupLookbackMs: number;
  /** Pause before a record whose handler threw is offered again; doubles up to 30 s. */
  retryDelayMs: number;
  ensureTopic(topic: string): Promise<void>;
  /** How many partitions' batches are handled at once. */
  partitionsConcurrently: number;
  /** Told whenever this process joined a group, so placement can follow added partitions. */
  onGroupJoin(): void;
}

export const headersOf = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.map(String).join(',') : String(v)]],
    ),
  );

/** Errors of a commit or heartbeat that mean the group moved on: this member's batch is no longer its to finish. */
const GROUP_MOVED_ON = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'FENCED_INSTANCE_ID',
]);
const groupMovedOn = (error: unknown) => GROUP_MOVED_ON.has((error as { type?: string }).type ?? '');

/**
 * One member of a consumer group, taking records in batches (eachBatch): each record, or run of consecutive
 * records of one key for a handler that takes runs, is handled in order and retried in place while it fails
 * (heartbeating, so a slow store does not cost the membership), and the batch's offsets are committed once.
 * kafkajs gives up for good on some errors (a TypeError in a handler, ILLEGAL_GENERATION on a commit); here
 * handler errors never reach it, commit errors after an eviction end the batch quietly, and any crash
 * kafkajs will not restart from is restarted here with backoff.
 */
export async function startGroupConsumer(
  options: ConsumeOptions,
  settings: GroupConsumerSettings,
): Promise<BusConsumer> {
  const { topic, group, handle, handleRun, onHandlerError, onError, onAssignment, onDeadLetter } = options;
  const { deadLetterAfter = DEAD_LETTER_AFTER, dependencyDown } = options;
  const { kafka, admin, producer, sessionTimeoutMs, heartbeatIntervalMs, retryDelayMs } = settings;
  await settings.ensureTopic(topic);
  await seedNewGroup(admin, group, topic, settings.newGroupLookbackMs);

  let consumer: Consumer | undefined;
  let stopping = false;
  let crashed = false;
  let lastConfirmedAt = 0;
  let held: number[] = [];
  // The batches in hand, one per partition at most: each finishes its record and commits on stop.
  const inBatch = new Set<Promise<void>>();
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;
  // Per partition whose batch is in hand: since when it has not got past a record.
  const stuck = new Map<number, number>();
  const commit = groupedCommit(topic);

  const leaseMs = sessionTimeoutMs - heartbeatIntervalMs;
  const isCurrent = () => !stopping && !crashed && Date.now() - lastConfirmedAt < leaseMs;
  /**
   * The group heard from us. After a lapse (a freeze shorter than the session, so no rebalance followed),
   * the partitions are announced again: what fell due meanwhile was left alone and is ours to pick up.
   */
  const confirm = () => {
    const lapsed = !isCurrent();
    lastConfirmedAt = Date.now();
    if (lapsed && !crashed && held.length > 0) onAssignment?.(held);
  };
  const assign = (partitions: number[]) => {
    held = partitions;
    onAssignment?.(partitions);
  };
  const release = () => {
    if (held.length > 0) assign([]);
  };

  const deadLetter = async (record: DeliveredRecord, raw: Buffer | null, reason: string, attempts: number) => {
    await settings.ensureTopic(deadLetterTopicOf(topic));
    await producer.send({
      topic: deadLetterTopicOf(topic),
      acks: -1,
      messages: [{ key: record.key, value: raw, headers: deadLetterHeaders(record, reason, attempts) }],
    });
    onDeadLetter?.(record, reason, attempts);
  };

  const decode = (partition: number, message: KafkaMessage): { record: DeliveredRecord; notJson?: string } => {
    const base = {
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? '',
      headers: headersOf(message.headers),
      publishedAt: new Date(Number(message.timestamp)).toISOString(),
    };
    const text = message.value?.toString() ?? 'null';
    try {
      return { record: { ...base, value: JSON.parse(text) as unknown } };
    } catch (error) {
      return { record: { ...base, value: text }, notJson: `value is not JSON: ${(error as Error).message}` };
    }
  };

  /**
   * Tries `attempt` until it goes through, in place, with backoff and heartbeating meanwhile; an
   * UnprocessableRecordError goes to `unprocessable`, and so does the failure that makes `deadLetterAfter`
   * of one kind in a row (outages of a dependency not counted). False once the batch is no longer ours to
   * go on with.
   */
  const retried = async (
    payload: EachBatchPayload,
    first: DeliveredRecord,
    attempt: () => Promise<void>,
    unprocessable: (reason: string, attempts: number) => Promise<boolean>,
  ): Promise<boolean> => {
    let tally: FailureTally | undefined;
    for (let failures = 0; ; failures++) {
      if (stopping || !payload.isRunning() || payload.isStale()) return false;
      // A handler slower than the session would cost the membership mid-record: keep heartbeating.
      const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), heartbeatIntervalMs);
      try {
        await attempt();
        return true;
      } catch (error) {
        if (error instanceof UnprocessableRecordError)
          return await unprocessable(error.message, (tally?.attempts ?? 0) + 1);
        onHandlerError?.(error, first);
        tally = await tallyFailure(tally, error, dependencyDown);
        if (tally && tally.attempts >= deadLetterAfter)
          return await unprocessable(poisonReason(error, tally.attempts), tally.attempts);
      } finally {
        clearInterval(beat);
      }
      await pauseHeartbeating(payload, Math.min(30_000, retryDelayMs * 2 ** failures), () => stopping);
    }
  };

  /** Handles one record until it is handled or dead-lettered; false if the batch is no longer ours to go on with. */
  const handleOne = async (payload: EachBatchPayload, message: KafkaMessage): Promise<boolean> => {
    const { record, notJson } = decode(payload.batch.partition, message);
    const toDeadLetter = async (reason: string, attempts: number) => {
      await deadLetter(record, message.value, reason, attempts);
      return true;
    };
    if (notJson) return toDeadLetter(notJson, 0);
    return retried(payload, record, () => handle(record), toDeadLetter);
  };

  /**
   * Consecutive records of one key (an Alertmanager notification's alerts, published together) handed to
   * `handleRun` at once, retried whole while it fails. A run with a value that is not JSON, whose handler
   * calls one of its records unprocessable, or that failed one way too often, goes one by one, so only the
   * record at fault is dead-lettered.
   */
  const handleRunOf = async (payload: EachBatchPayload, messages: KafkaMessage[]): Promise<boolean> => {
    const decoded = messages.map((m) => decode(payload.batch.partition, m));
    const oneByOne = async () => {
      for (const message of messages) if (!(await handleOne(payload, message))) return false;
      return true;
    };
    if (!handleRun || decoded.some((d) => d.notJson)) return oneByOne();
    const records = decoded.map((d) => d.record);
    return retried(payload, records[0]!, () => handleRun(records), oneByOne);
  };

  const keyOf = (message: KafkaMessage) => message.key?.toString() ?? '';

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch, resolveOffset, heartbeat } = payload;
    let last: string | undefined;
    stuck.set(batch.partition, Date.now());
    const work = (async () => {
      const messages = batch.messages;
      // The batch's runs (consecutive records of one key; one record each without handleRun), by key: the
      // keys go side by side, so their appends meet in the store's group commit; each key's runs in order.
      const runsByKey = new Map<string, Array<{ from: number; to: number }>>();
      for (let i = 0; i < messages.length;) {
        const key = keyOf(messages[i]!);
        let end = i + 1;
        if (handleRun) while (end < messages.length && keyOf(messages[end]!) === key) end++;
        const runs = runsByKey.get(key);
        if (runs) runs.push({ from: i, to: end });
        else runsByKey.set(key, [{ from: i, to: end }]);
        i = end;
      }
      const handled = new Array<boolean>(messages.length).fill(false);
      let prefix = 0;
      let stopped = false;
      const handleKey = async (runs: Array<{ from: number; to: number }>) => {
        for (const { from, to } of runs) {
          if (stopped) return;
          const ok =
            to - from > 1
              ? await handleRunOf(payload, messages.slice(from, to))
              : await handleOne(payload, messages[from]!);
          // No longer ours to go on with (stopping, or the batch went stale): nothing more of it starts.
          if (!ok) {
            stopped = true;
            return;
          }
          handled.fill(true, from, to);
          // The offset moves past the handled records at the front of the batch only: none is passed unhandled.
          const before = prefix;
          while (prefix < messages.length && handled[prefix]) prefix++;
          if (prefix > before) {
            last = messages[prefix - 1]!.offset;
            resolveOffset(last);
            stuck.set(batch.partition, Date.now());
          }
          const movedOn = await heartbeat().then(
            () => false,
            (error: unknown) => {
              if (!groupMovedOn(error)) throw error;
              return true;
            },
          );
          // The group is rebalancing: the rest of this batch may be another member's now.
          if (movedOn && !stopped) {
            stopped = true;
            release();
          }
        }
      };
      // Every key settles before the batch ends (or fails): none goes on unseen after it.
      const outcomes = await Promise.allSettled([...runsByKey.values()].map(handleKey));
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failure) throw failure.reason;
      if (last === undefined) return;
      try {
        // One commit per batch, grouped with the other partitions' batches that end meanwhile.
        await commit({ payload, partition: batch.partition, offset: (BigInt(last) + 1n).toString() });
        confirm();
      } catch (error) {
        if (!groupMovedOn(error)) throw error;
        // Evicted or rebalancing, as a group does: whoever holds the partition now reads from the last
        // commit (handling is idempotent); kafkajs rejoins on its next fetch.
        release();
      }
    })();
    const settled = work.catch(() => undefined);
    inBatch.add(settled);
    try {
      await work;
    } finally {
      stuck.delete(batch.partition);
      inBatch.delete(settled);
    }
  };

  const start = async () => {
    const c = kafka.consumer({
      groupId: group,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: Math.max(60_000, sessionTimeoutMs * 2),
      maxWaitTimeInMs: Math.min(5000, heartbeatIntervalMs),
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (event) => {
      // Also after a crash kafkajs restarted by itself: the member is back.
      crashed = false;
      lastConfirmedAt = Date.now();
      settings.onGroupJoin();
      assign([...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b));
    });
    c.on(c.events.HEARTBEAT, confirm);
    // Mid-rebalance the group may hand our partitions to another member: act on none until we rejoin.
    c.on(c.events.REBALANCING, () => release());
    c.on(c.events.CRASH, (event) => {
      crashed = true;
      release();
      onError?.(event.payload.error);
      if (event.payload.restart) return; // kafkajs starts it again itself (GROUP_JOIN follows)
      scheduleRestart();
    });
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    // Partitions side by side: a key's records are in one partition, so each key keeps its order, and the
    // batches of one fetch meet in the store's group commit instead of taking one transaction each, in turn.
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch,
      partitionsConsumedConcurrently: settings.partitionsConcurrently,
    });
    crashed = false;
    restarts = 0;
  };

  const scheduleRestart = () => {
    if (stopping || restartTimer) return;
    const delay = Math.min(30_000, 1000 * 2 ** restarts++);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void (async () => {
        try {
          await consumer?.disconnect().catch(() => undefined);
          if (!stopping) await start();
        } catch (error) {
          onError?.(error);
          scheduleRestart();
        }
      })();
    }, delay);
  };

  await start();

  return {
    current: isCurrent,
    stuckSince: () => (stuck.size === 0 ? undefined : Math.min(...stuck.values())),
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      // The batches in hand finish their records and commit before the member leaves the group.
      await Promise.all(inBatch);
      await consumer?.disconnect();
      release();
    },
  };
}

/** Waits, heartbeating, so a record retried for minutes does not cost the group membership. */
async function pauseHeartbeating(payload: EachBatchPayload, ms: number, stopping: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopping() && payload.isRunning()) {
    await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
    await payload.heartbeat().catch(() => undefined);
  }
}

/**
 * A group with no committed offset (a new deployment, or one whose offsets expired after a week without
 * members) starts `lookbackMs` back in the log, not at its beginning: from the beginning, days of old
 * firing alerts would open incidents and page again. Offsets are set before the member joins; when two
 * instances start at once, the second finds the group active and leaves it to the first.
 */
async function seedNewGroup(admin: Admin, group: string, topic: string, lookbackMs: number): Promise<void> {
  const [offsets] = await whileCoordinatorLoads(() => admin.fetchOffsets({ groupId: group, topics: [topic] }));
  const committed = offsets?.partitions ?? [];
  if (committed.some((p) => p.offset !== '-1')) return;
  const since = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - lookbackMs);
  try {
    await whileCoordinatorLoads(() =>
      admin.setOffsets({
        groupId: group,
        topic,
        partitions: since.map(({ partition, offset }) => ({ partition, offset })),
      }),
    );
  } catch (error) {
    if ((error as { type?: string }).type !== 'UNKNOWN_MEMBER_ID' && !/active|running/i.test((error as Error).message))
      throw error;
  }
}

/** kafkajs's names for a group coordinator that moved or is still loading its offsets topic. */
const COORDINATOR_NOT_READY = new Set([
  'NOT_COORDINATOR_FOR_GROUP',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
]);

/** Right after a broker starts, the group coordinator is still loading its offsets topic: ask again. */
async function whileCoordinatorLoads<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const type = (error as { type?: string }).type ?? '';
      if (attempt >= 120 || !COORDINATOR_NOT_READY.has(type)) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
