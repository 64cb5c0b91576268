import { pagesToSend, toInstant, type IncidentState } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { NumberClaims } from '../../commands/number-claims.ts';
import type { FreshPage, WaitingPage } from '../waiting-page.ts';

export interface FreshDeps {
  /**
   * The incident as its stream stands now, read again just before its pages go out: a page that waited
   * goes out with what is current, and not at all once its outcome is recorded (by another instance too).
   */
  latest: (incidentId: string) => Promise<IncidentState | undefined>;
  /** What this instance holds, where the store cannot be read. */
  known: (incidentId: string) => IncidentState | undefined;
  owns: (incidentId: string) => boolean;
  /** Reply codes of bundles, unique across instances. */
  bundleNumbers: NumberClaims;
  clock: Clock;
  logger: Logger;
  pagesWithheld: Counter<'reason'>;
}

export interface FreshGroup {
  /** The pages still this instance's to send, each with its incident as it stands now. */
  pages: FreshPage[];
  /** The bundle's reply code, claimed when the group spans several incidents. */
  bundleNumber: number | undefined;
}

/**
 * Stage 3, fresh: the last look at the incidents before the provider call. Everything that waits for the
 * store happens here (the bundle's number too), so that nothing stands between this look and the call. A
 * bundle number not used after all is a gap.
 */
export async function freshen(group: WaitingPage[], deps: FreshDeps): Promise<FreshGroup> {
  const bundleNumber = new Set(group.map((w) => w.incidentId)).size > 1 ? await deps.bundleNumbers.take() : undefined;
  const latest = await latestOf(group, deps);
  const now = toInstant(deps.clock.now());
  const pages: FreshPage[] = [];
  for (const waiting of group) {
    const incident = latest.get(waiting.incidentId);
    const reason = !deps.owns(waiting.incidentId)
      ? 'not-owned'
      : incident?.exists && !pagesToSend(incident, now).some((p) => p.pageId === waiting.pageId)
        ? 'outcome-recorded'
        : undefined;
    if (reason === undefined) {
      pages.push({ waiting, incident });
      continue;
    }
    // Withheld: nothing is recorded for it.
    deps.pagesWithheld.inc({ reason });
    deps.logger.info(
      { ...waiting, reason },
      reason === 'not-owned'
        ? 'page withheld: its incident is no longer owned here'
        : 'page withheld: its outcome is recorded already',
    );
  }
  return { pages, bundleNumber };
}

async function latestOf(group: WaitingPage[], deps: FreshDeps): Promise<Map<string, IncidentState | undefined>> {
  const ids = [...new Set(group.map((w) => w.incidentId))];
  const states = await Promise.all(
    ids.map((incidentId) =>
      deps.latest(incidentId).catch((error: unknown) => {
        deps.logger.warn(
          { err: error, incidentId },
          'could not read the incident again before paging; paging from what this instance knows',
        );
        return deps.known(incidentId);
      }),
    ),
  );
  return new Map(ids.map((id, i) => [id, states[i]]));
}
