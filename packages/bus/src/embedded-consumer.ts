import { UnprocessableRecordError, type BusConsumer, type ConsumeOptions, type DeliveredRecord } from './bus.ts';
import { DEAD_LETTER_AFTER, poisonReason, tallyFailure, type FailureTally } from './poison.ts';

export interface LogRow {
  offset: bigint;
  topic: string;
  key: string;
  value: string;
  headers: string | null;
  published_at: string;
}

/** What the consumer needs of the embedded log's file. */
export interface EmbeddedLog {
  committed(group: string, topic: string): bigint | undefined;
  /** Records of the topic after `after`, oldest first. */
  read(topic: string, after: bigint, limit: number): LogRow[];
  commit(group: string, topic: string, offset: bigint): void;
  /** Moves the row to the topic's dead-letter topic, durably, before the offset passes it. */
  deadLetter(row: LogRow, record: DeliveredRecord, reason: string, attempts: number): void;
  toDelivered(row: LogRow): DeliveredRecord;
  /**
   * Resolves on a publish of this file (any thread of the process), `ms` passing (true), or `signal`
   * aborting.
   */
  published(ms: number, signal: AbortSignal): Promise<boolean>;
  /** How many publishes of this file (any thread of the process) have been heard of so far. */
  publishes(): number;
}

export interface EmbeddedConsumerOptions {
  pollMs: number;
  retryDelayMs: number;
  /** Records read but not yet committed, at most: the memory a stuck key can hold, and the reach of a run. */
  maxInHand: number;
  /** Handled records an offset commit may wait for while others are still in hand. */
  commitEvery: number;
  /** How long an offset commit may wait while others are still in hand. */
  commitEveryMs: number;
}

// Many keys may pause at once: each pause lets go of its abort listener when it ends.
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const end = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    signal.addEventListener('abort', end, { once: true });
  });

/**
 * The embedded log's consumer. Records are taken as they are published, not a batch at a time: a key with
 * nothing in hand starts at once, so a new group's first alert never waits for a storm's batch to finish;
 * a key busy with a run queues what comes meanwhile, and its next run takes all of it, in order. The offset
 * committed is that of the last record before the first one not handled, so nothing is passed unhandled;
 * a crash offers again what was handled after it (at-least-once). One key's records failing are retried
 * after a pause while the other keys go on, until the records in hand reach `maxInHand`.
 */
export function consumeEmbedded(
  log: EmbeddedLog,
  consume: ConsumeOptions,
  options: EmbeddedConsumerOptions,
  onStopped: (consumer: BusConsumer) => void,
): BusConsumer {
  const { topic, group, handle, handleRun, onHandlerError, onError, onAssignment, onDeadLetter, dependencyDown } =
    consume;
  const deadLetterAfter = consume.deadLetterAfter ?? DEAD_LETTER_AFTER;
  const abort = new AbortController();
  onAssignment?.([0]);

  let position = log.committed(group, topic) ?? 0n;
  // Rows read and not yet committed, oldest first, and what became of each.
  let window: LogRow[] = [];
  let readThrough = position;
  const handled = new Set<bigint>();
  // Per key: rows waiting for the key's run in hand to end (or its pause after a failure).
  const queued = new Map<string, LogRow[]>();
  const running = new Map<string, Promise<void>>();
  const pausedUntil = new Map<string, Promise<void>>();
  // Failures in a row of a key's run (by its first record) and of single records.
  const runFailures = new Map<bigint, FailureTally>();
  const recordFailures = new Map<bigint, FailureTally>();
  // Dead-lettered, but not yet passed by the committed offset: not again.
  const deadLettered = new Set<bigint>();
  // A record one failure short of the dead-letter gets its last try alone: beside others, it may have failed
  // for one of them (a store's group commit refuses every append of its transaction for one it cannot keep).
  let solo: string | undefined;
  let stuckSince: number | undefined;
  let progress = position;
  let lastCommitAt = Date.now();
  // A read finds new rows only after a publish was heard of, when the last read stopped at its limit, or (a
  // publish by another process, which nobody hears of) after the poll interval: a run ending wakes the loop
  // far more often than records come, and under a storm most of those reads found nothing.
  let heardAtRead = -1;
  let moreToRead = true;
  // Monotonic: a wall clock stepped back would hold off the poll's reads for as long.
  let lastReadAt = 0;
  let pollDue = true;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();

  // Not handled yet: a row handled and already committed past is no longer in `handled`.
  const waiting = (row: LogRow) => row.offset > position && !handled.has(row.offset);
  const lastChance = (rows: LogRow[]) =>
    rows.some((r) => (recordFailures.get(r.offset)?.attempts ?? 0) >= deadLetterAfter - 1);

  /** Handles `rows` of one key in order; true when all were handled (or dead-lettered). */
  const runKey = async (rows: LogRow[], alone: boolean): Promise<boolean> => {
    const first = rows[0]!.offset;
    const suspect =
      alone ||
      (runFailures.get(first)?.attempts ?? 0) >= deadLetterAfter ||
      rows.some((r) => recordFailures.has(r.offset) || deadLettered.has(r.offset));
    if (handleRun && rows.length > 1 && !suspect) {
      const records = rows.map(log.toDelivered);
      try {
        await handleRun(records);
        runFailures.delete(first);
        for (const row of rows) handled.add(row.offset);
        return true;
      } catch (error) {
        if (!(error instanceof UnprocessableRecordError)) {
          onHandlerError?.(error, records[0]!);
          const tally = await tallyFailure(runFailures.get(first), error, dependencyDown);
          if (tally) runFailures.set(first, tally);
          else runFailures.delete(first);
          return false;
        }
      }
    }
    // A run that failed one way too often, or holds a record already failing alone, goes one by one, so
    // that only the record at fault is dead-lettered.
    for (const row of rows) {
      if (abort.signal.aborted) return false;
      if (deadLettered.has(row.offset)) {
        handled.add(row.offset);
        continue;
      }
      const record = log.toDelivered(row);
      try {
        await handle(record);
      } catch (error) {
        if (error instanceof UnprocessableRecordError) {
          const attempts = (recordFailures.get(row.offset)?.attempts ?? 0) + 1;
          log.deadLetter(row, record, error.message, attempts);
          deadLettered.add(row.offset);
          onDeadLetter?.(record, error.message, attempts);
          recordFailures.delete(row.offset);
          handled.add(row.offset);
          continue;
        }
        onHandlerError?.(error, record);
        const tally = await tallyFailure(recordFailures.get(row.offset), error, dependencyDown);
        if (tally && tally.attempts >= deadLetterAfter) {
          const reason = poisonReason(error, tally.attempts);
          log.deadLetter(row, record, reason, tally.attempts);
          deadLettered.add(row.offset);
          onDeadLetter?.(record, reason, tally.attempts);
          recordFailures.delete(row.offset);
          handled.add(row.offset);
          return false;
        }
        // Kept while it fails, so that the run it belongs to goes one by one from now on.
        recordFailures.set(row.offset, tally ?? { kind: 'outage', attempts: 0 });
        return false;
      }
      recordFailures.delete(row.offset);
      handled.add(row.offset);
    }
    return true;
  };

  /**
   * Starts the key's next run if it has rows waiting and nothing in hand or a pause in the way. A key with a
   * record on its last chance waits for every other run to end, then goes one record at a time, alone.
   */
  const start = (key: string): void => {
    if (abort.signal.aborted || running.has(key) || pausedUntil.has(key)) return;
    const rows = queued.get(key)?.filter(waiting);
    if (!rows || rows.length === 0) {
      queued.delete(key);
      // Its rows went (read again after a failed commit): the others need not wait for it.
      if (solo === key) {
        solo = undefined;
        startWaiting();
      }
      return;
    }
    const alone = lastChance(rows);
    if (alone) solo ??= key;
    if (solo !== undefined && (solo !== key || running.size > 0)) return;
    queued.delete(key);
    const work = runKey(rows, alone)
      .then((done) => {
        if (done) return;
        // Not handled: first in line again, before whatever of the key came meanwhile, after a pause.
        queued.set(key, [...rows.filter(waiting), ...(queued.get(key) ?? [])]);
        const resumed = pause(options.retryDelayMs, abort.signal).then(() => {
          pausedUntil.delete(key);
          startWaiting();
          nudge();
        });
        pausedUntil.set(key, resumed);
      })
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        running.delete(key);
        if (solo === key) solo = undefined;
        startWaiting();
        nudge();
      });
    running.set(key, work);
  };
  const startWaiting = () => {
    if (solo !== undefined) start(solo);
    else for (const key of [...queued.keys()]) start(key);
  };

  /** Commits past the handled records at the front of the window, now or once enough have gathered. */
  const advance = (force: boolean): void => {
    let through: bigint | undefined;
    let passed = 0;
    while (passed < window.length && handled.has(window[passed]!.offset)) through = window[passed++]!.offset;
    if (through === undefined) return;
    // Got past a record since last asked: not stuck; past every record in hand: caught up.
    if (through > progress) stuckSince = Date.now();
    if (passed === window.length) stuckSince = undefined;
    progress = through;
    // Not at every record: under a storm that was a commit per run. The poll wakes the consumer in time
    // for the last one when it is caught up.
    const due = force || passed >= options.commitEvery || Date.now() - lastCommitAt >= options.commitEveryMs;
    if (!due) return;
    log.commit(group, topic, through);
    lastCommitAt = Date.now();
    position = through;
    window = window.slice(passed);
    for (const offset of handled) if (offset <= through) handled.delete(offset);
    for (const tallies of [runFailures, recordFailures, deadLettered])
      for (const offset of tallies.keys()) if (offset <= through) tallies.delete(offset);
  };

  const settle = async () => {
    while (running.size > 0) await Promise.allSettled([...running.values()]);
  };

  const take = async (): Promise<void> => {
    let read = 0;
    const heard = log.publishes();
    const mayHaveRows =
      moreToRead || pollDue || heard !== heardAtRead || performance.now() - lastReadAt >= options.pollMs;
    if (window.length < options.maxInHand && mayHaveRows) {
      const limit = options.maxInHand - window.length;
      heardAtRead = heard;
      lastReadAt = performance.now();
      pollDue = false;
      const rows = log.read(topic, readThrough, limit);
      moreToRead = rows.length === limit;
      read = rows.length;
      for (const row of rows) {
        window.push(row);
        const rowsOfKey = queued.get(row.key);
        if (rowsOfKey) rowsOfKey.push(row);
        else queued.set(row.key, [row]);
        readThrough = row.offset;
      }
      stuckSince ??= rows.length > 0 ? Date.now() : undefined;
      for (const row of rows) start(row.key);
    }
    advance(false);
    if (window.length === 0) stuckSince = undefined;
    if (read > 0 && window.length < options.maxInHand) {
      // Let the runs just started, and the rest of the process (ingest's requests, timers), have the event
      // loop before reading again.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    // Asleep until a publish, a run ending (its key may go on, the offset may move), the poll interval or a
    // stop; whichever comes first, the others' listeners go with the sleep.
    const woken = new AbortController();
    const stop = () => woken.abort();
    wake = stop;
    abort.signal.addEventListener('abort', stop, { once: true });
    // The poll falls due `pollMs` after the last read, however often a run ending wakes the loop; a wake by
    // its timer is due whatever the clocks say (a timer may fire a millisecond short of them). One already
    // due and not read (every record in hand) sleeps a whole interval, as before.
    const sincePoll = performance.now() - lastReadAt;
    const untilPoll = pollDue || sincePoll >= options.pollMs ? options.pollMs : Math.max(1, options.pollMs - sincePoll);
    if (await log.published(untilPoll, woken.signal)) pollDue = true;
    abort.signal.removeEventListener('abort', stop);
    wake = undefined;
  };

  // The loop owns its failures: a read or commit that fails (a locked or full disk) is reported and tried
  // again after a growing pause; what was not committed is read again from the committed offset.
  const loop = (async () => {
    for (let failures = 0; !abort.signal.aborted;) {
      try {
        await take();
        failures = 0;
      } catch (error) {
        failures++;
        onError?.(error);
        await settle();
        window = [];
        queued.clear();
        handled.clear();
        readThrough = position;
        moreToRead = true;
        progress = position;
        await pause(Math.min(30_000, options.retryDelayMs * 2 ** (failures - 1)), abort.signal);
      }
    }
    // Stopping: the runs in hand finish, and what they handled is committed.
    await settle();
    try {
      advance(true);
    } catch (error) {
      onError?.(error);
    }
  })();

  const consumer: BusConsumer = {
    // One process holds the one partition: nothing else can take it.
    current: () => !abort.signal.aborted,
    stuckSince: () => stuckSince,
    async stop() {
      abort.abort();
      nudge();
      await loop;
      onStopped(consumer);
      onAssignment?.([]);
    },
  };
  return consumer;
}
