import {
  onCallChanges,
  takeUntil,
  type Actor,
  type ContactSpec,
  type Instant,
  type Result,
  type Role,
} from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { NoticeSender } from '../paging/notices.ts';
import { changeNotice } from './change-notice.ts';
import {
  newOverrideId,
  type AppliedChange,
  type OverrideChangeError,
  type ScheduleOverrides,
} from './schedule-overrides.ts';

const NOTICE_WINDOW_MS = 7 * 86_400_000;
const MAX_TAKE_MS = 90 * 86_400_000;

export type Caller = Actor & { role: Role };

export type TakeError =
  OverrideChangeError | { code: 'BadUntil'; reason: string } | { code: 'NoSchedule'; person: string };

export interface OverrideFields {
  start: Instant;
  end: Instant;
  person: string;
  replaces?: string;
  reason?: string;
}

export interface OverrideActionsDeps {
  overrides: ScheduleOverrides;
  notices: NoticeSender;
  contacts: Record<string, ContactSpec>;
  clock: Clock;
  logger: Logger;
}

/**
 * Adding, removing and taking overrides, as the API, the console and an SMS do it: each change decided
 * and stored, then a notice to every person it moves within the next 7 days, other than whoever made it.
 */
export function overrideActions(deps: OverrideActionsDeps) {
  const { overrides, notices, contacts, clock, logger } = deps;

  const notify = async (schedule: string, change: AppliedChange, actor: Caller) => {
    const now = clock.now().getTime();
    const moved = onCallChanges(
      change.before,
      change.after,
      new Date(now).toISOString(),
      new Date(now + NOTICE_WINDOW_MS).toISOString(),
    );
    const notified: string[] = [];
    for (const { person, gained, lost } of moved) {
      // Whoever made the change knows of it: a person signed in, or one texting from their phone.
      if ((actor.kind === 'person' || actor.kind === 'phone') && person === actor.name) continue;
      const message = changeNotice({ schedule, actor, gained, lost, timezone: contacts[person]?.timezone ?? 'UTC' });
      const sent = await notices.send(person, message);
      if (sent.ok) notified.push(person);
      else logger.warn({ schedule, person, error: sent.error }, 'on-call change notice not sent');
    }
    return notified;
  };

  const logged = (schedule: string, change: AppliedChange, actor: Caller) =>
    logger.info({ schedule, events: change.events, actor: { kind: actor.kind, name: actor.name } }, 'on-call changed');

  const add = async (
    schedule: string,
    fields: OverrideFields,
    actor: Caller,
  ): Promise<Result<{ overrideId: string; notified: string[] }, OverrideChangeError>> => {
    const overrideId = newOverrideId();
    const change = await overrides.change(schedule, (at) => ({
      type: 'AddOverride',
      overrideId,
      actor,
      at,
      ...fields,
    }));
    if (!change.ok) return change;
    logged(schedule, change.value, actor);
    return { ok: true, value: { overrideId, notified: await notify(schedule, change.value, actor) } };
  };

  return {
    add,

    async remove(
      schedule: string,
      overrideId: string,
      actor: Caller,
    ): Promise<Result<{ notified: string[] }, OverrideChangeError>> {
      const change = await overrides.change(schedule, (at) => ({ type: 'RemoveOverride', overrideId, actor, at }));
      if (!change.ok) return change;
      logged(schedule, change.value, actor);
      return { ok: true, value: { notified: await notify(schedule, change.value, actor) } };
    },

    /** The caller on call from now until `until`; without a schedule, the first they are a member of. */
    async take(
      schedule: string | undefined,
      until: string,
      actor: Caller,
      reason?: string,
    ): Promise<
      Result<{ overrideId: string; schedule: string; start: Instant; end: Instant; notified: string[] }, TakeError>
    > {
      const name =
        schedule ?? Object.entries(overrides.schedules()).find(([, s]) => s.members.includes(actor.name))?.[0];
      if (name === undefined) return { ok: false, error: { code: 'NoSchedule', person: actor.name } };
      const start = clock.now().toISOString();
      const end = takeUntil(until, start, contacts[actor.name]?.timezone ?? 'UTC');
      if (!end.ok) return { ok: false, error: { code: 'BadUntil', reason: end.error } };
      if (Date.parse(end.value) - Date.parse(start) > MAX_TAKE_MS)
        return { ok: false, error: { code: 'BadUntil', reason: 'a take lasts at most 90 days' } };
      const added = await add(
        name,
        { start, end: end.value, person: actor.name, ...(reason !== undefined ? { reason } : {}) },
        actor,
      );
      if (!added.ok) return added;
      return { ok: true, value: { ...added.value, schedule: name, start, end: end.value } };
    },
  };
}

export type OverrideActions = ReturnType<typeof overrideActions>;
