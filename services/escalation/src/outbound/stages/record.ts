import { setTimeout } from 'node:timers/promises';
import type { IncidentCommand, PageState } from '@klaxon/domain';
import type { Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { IncidentCommands } from '../../commands/incident-commands.ts';
import { NotifierError } from '../../paging/notifier.ts';
import type { WaitingPage } from '../waiting-page.ts';
import type { Outcome } from './notify.ts';

const FIRST_RECORD_BACKOFF_MS = 500;
const MAX_RECORD_BACKOFF_MS = 30_000;

export interface RecordDeps {
  commands: IncidentCommands;
  logger: Logger;
  pagesSent: Counter<'channel' | 'outcome'>;
  pageOutcomesRefused: Counter<'code'>;
  /** Aborted when the service stops: an outcome the store will not take is then given up after one more try. */
  stopping: AbortSignal;
}

/**
 * Stage 6, record: the provider's answer into the page's incident stream. A delivered page records its
 * provider id (and bundle); a failed one its error and whether it may pass, which the incident's retry
 * timer reads.
 */
export async function recordOutcome(
  waiting: WaitingPage,
  page: PageState | undefined,
  outcome: Outcome,
  bundle: number | undefined,
  at: string,
  deps: RecordDeps,
): Promise<void> {
  const log = deps.logger.child({ ...waiting, purpose: page?.purpose, ...(bundle ? { bundle } : {}) });
  if (outcome instanceof NotifierError) {
    log.warn({ err: outcome.message, retryable: outcome.retryable, attempt: (page?.attempts ?? 0) + 1 }, 'page failed');
    deps.pagesSent.inc({ channel: waiting.channel, outcome: outcome.retryable ? 'retrying' : 'failed' });
    const retryAfter = outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs };
    const command: IncidentCommand = {
      type: 'RecordPageFailed',
      pageId: waiting.pageId,
      error: outcome.message,
      retryable: outcome.retryable,
      ...retryAfter,
      at,
    };
    return record(waiting.incidentId, command, log, deps);
  }
  log.info(
    { providerId: outcome.providerId, provider: outcome.provider },
    bundle ? 'page delivered in a bundle' : 'page delivered',
  );
  deps.pagesSent.inc({ channel: waiting.channel, outcome: 'delivered' });
  const command: IncidentCommand = {
    type: 'RecordPageDelivered',
    pageId: waiting.pageId,
    providerId: outcome.providerId,
    ...(bundle ? { bundle } : {}),
    ...(outcome.provider ? { provider: outcome.provider } : {}),
    at,
  };
  return record(waiting.incidentId, command, log, deps);
}

/**
 * The provider has answered: the outcome must reach the store, or the page goes out again after a restart.
 * While the store refuses, keep trying with backoff rather than sending again (that would page twice).
 */
async function record(incidentId: string, command: IncidentCommand, log: Logger, deps: RecordDeps): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const execution = await deps.commands.execute(incidentId, () => command);
      if (!execution.ok) {
        // Its outcome was recorded first by another instance (the page went out from both), or the page is unknown.
        deps.pageOutcomesRefused.inc({ code: execution.error.code });
        log.warn(
          {
            code: execution.error.code,
            outcome: command.type === 'RecordPageDelivered' ? 'delivered' : 'failed',
            ...(command.type === 'RecordPageDelivered' ? { providerId: command.providerId } : {}),
          },
          'page outcome refused by the incident',
        );
        return;
      }
      if (attempt > 1) log.info({ attempt }, 'page outcome recorded after retrying');
      return;
    } catch (error) {
      if (deps.stopping.aborted) {
        log.error(
          { err: error },
          'page outcome not recorded before stopping; the page goes out again on restart (at-least-once)',
        );
        return;
      }
      const retryInMs = Math.min(MAX_RECORD_BACKOFF_MS, FIRST_RECORD_BACKOFF_MS * 2 ** (attempt - 1));
      log[attempt === 1 ? 'error' : 'warn'](
        { err: error, attempt, retryInMs },
        'could not record the page outcome; retrying',
      );
      await setTimeout(retryInMs, undefined, { signal: deps.stopping }).catch(() => undefined);
    }
  }
}
