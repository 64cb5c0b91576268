import {
  deadLetterHeaders,
  deadLetterTopicOf,
  UnprocessableRecordError,
  type Bus,
  type BusConsumer,
  type DeliveredRecord,
} from '@klaxon/bus';
import { alertsOfRecord, heartbeatReceivedSchema, type AlertReceived } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';

export interface AlertConsumerDeps {
  bus: Bus;
  store: EventStore;
  topic: string;
  group: string;
  logger: Logger;
  alertsProcessed: Counter<'result'>;
  /** Alerts of one group, in order: what the intake decides on. */
  take: (alerts: AlertReceived[]) => Promise<void>;
  /** The bus's partitions assigned to this instance changed: the incidents of their groups are ours now. */
  assigned: (partitions: number[]) => void;
  /** How long the consumer may hold records without getting past one before readiness says so. */
  stallMs: number;
  /**
   * Heartbeat monitors: a beat record is theirs, not an alert; alerts a monitor takes as beats (the
   * Watchdog) are not routed.
   */
  beats?: () => {
    beat(name: string, receivedAt: string): Promise<void>;
    takeBeats(alerts: AlertReceived[]): AlertReceived[] | Promise<AlertReceived[]>;
  };
}

/**
 * Takes alert records from the bus to the intake. A record that is no alert record at all goes to the
 * dead-letter topic whole; one bad alert of a notification goes there alone, as a notification of that one
 * alert, and its siblings are handled. A store that does not answer is an outage, retried for as long as it
 * lasts, never taken for a poison record.
 */
export function alertConsumer(deps: AlertConsumerDeps) {
  const { bus, store, topic, logger, alertsProcessed } = deps;
  let consumer: BusConsumer | undefined;
  let lastFailure: { at: number; message: string } | undefined;

  const alertsOf = async (record: DeliveredRecord): Promise<AlertReceived[]> => {
    const beats = deps.beats?.();
    if (!beats) return alertsOfAll(record);
    const beat = heartbeatReceivedSchema.safeParse(record.value);
    if (beat.success) {
      await beats.beat(beat.data.heartbeat, beat.data.receivedAt);
      return [];
    }
    return beats.takeBeats(await alertsOfAll(record));
  };

  const alertsOfAll = async (record: DeliveredRecord) => {
    const parsed = alertsOfRecord(record.value);
    if (!parsed.ok)
      throw new UnprocessableRecordError(`not an AlertReceived or AlertsReceived: ${parsed.error.join('; ')}`);
    const { alerts, refused } = parsed.value;
    if (refused.length === 0) return alerts;
    const notification = record.value as { alerts: unknown[] };
    await bus.publish(
      deadLetterTopicOf(topic),
      refused.map(({ index, problems }) => ({
        key: record.key,
        value: { ...notification, alerts: [notification.alerts[index]] },
        headers: {
          ...deadLetterHeaders(record, `an alert that cannot be handled: ${problems.join('; ')}`, 0),
          'klaxon-original-alert-index': String(index),
        },
      })),
    );
    for (const { index, fingerprint, problems } of refused) {
      alertsProcessed.inc({ result: 'dead-lettered' });
      logger.error(
        { partition: record.partition, offset: record.offset, key: record.key, index, fingerprint, problems },
        'moved an alert that cannot be handled to the dead-letter topic; the others of its notification are handled',
      );
    }
    return alerts;
  };

  const take = async (alerts: AlertReceived[]) => {
    await deps.take(alerts);
    alertsProcessed.inc({ result: 'applied' }, alerts.length);
  };

  return {
    async start(): Promise<void> {
      consumer = await bus.consume({
        topic,
        group: deps.group,
        onAssignment: (partitions) => {
          logger.info({ partitions }, 'bus partitions assigned: timers and pages of their incidents are ours');
          deps.assigned(partitions);
        },
        handle: async (record) => take(await alertsOf(record)),
        // A run of one group's records from one batch: one decision and one append per incident for all of them.
        handleRun: async (records) => take((await Promise.all(records.map(alertsOf))).flat()),
        // The store said it could not be reached (EventStoreUnavailable), or does not answer now.
        dependencyDown: (error) =>
          (error as { retryable?: unknown } | undefined)?.retryable === true
            ? Promise.resolve(true)
            : store.ping().then(
                () => false,
                () => true,
              ),
        onDeadLetter: (record, reason, attempts) => {
          alertsProcessed.inc({ result: 'dead-lettered' });
          logger.error(
            { partition: record.partition, offset: record.offset, key: record.key, reason, attempts },
            'moved a record that cannot be handled to the dead-letter topic; the records behind it go on',
          );
        },
        onHandlerError: (error, record) => {
          lastFailure = { at: Date.now(), message: (error as Error).message ?? String(error) };
          logger.error({ err: error, offset: record.offset }, 'alert handling failed; it will be retried');
        },
        onError: (error) => logger.error({ err: error }, 'reading the bus failed; retrying'),
      });
    },

    /**
     * Whether this instance's view of its partitions is confirmed by the group now. Frozen past the group's
     * session (SIGSTOP, a long GC, a VM pause), it may have lost them without hearing it yet.
     */
    current: (): boolean => consumer === undefined || consumer.current(),

    /** Readiness: the consumer runs, is confirmed by its group, and gets past its records. */
    async check(): Promise<void> {
      if (consumer && !consumer.current())
        throw new Error('the bus consumer is not running or not confirmed by its group');
      // Alerts wait behind a record the consumer cannot get past: nothing behind it pages meanwhile.
      const stuckSince = consumer?.stuckSince();
      if (stuckSince === undefined || Date.now() - stuckSince <= deps.stallMs) return;
      const failure = lastFailure && lastFailure.at >= stuckSince ? lastFailure : undefined;
      throw new Error(
        `the bus consumer has not got past a record for ${Math.round((Date.now() - stuckSince) / 1000)} s ` +
          `with records waiting (over ${deps.stallMs / 1000} s): ` +
          (failure ? `its handling keeps failing: ${failure.message}` : 'its handling has not returned'),
      );
    },

    stop: async (): Promise<void> => consumer?.stop(),
  };
}
