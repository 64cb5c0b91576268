import { err, ok, type Result } from '../result.ts';
import type { Actor } from '../people/actor.ts';
import { roleAtLeast, type Role } from '../people/roles.ts';
import type { Instant } from '../time/instant.ts';
import type { ScheduleEvent } from './schedule-events.ts';
import { shiftsBetween, type ScheduleOverride, type ScheduleSpec } from './schedule.ts';

/** A schedule's stream overrides, removed ones kept (with when), so a replay sees them as they were. */
export interface OverridesState {
  overrides: Map<string, ScheduleOverride & { id: string; addedAt: Instant }>;
}

export type OverrideCommand =
  | {
      type: 'AddOverride';
      overrideId: string;
      start: Instant;
      end: Instant;
      person: string;
      replaces?: string;
      reason?: string;
      actor: Actor & { role: Role };
      at: Instant;
    }
  | { type: 'RemoveOverride'; overrideId: string; actor: Actor & { role: Role }; at: Instant };

/** Why a change was refused. HTTP answers 404 for the unknown, 403 for the not allowed, 409 for the rest. */
export type OverrideError =
  | { code: 'UnknownPerson'; person: string }
  | { code: 'UnknownOverride'; overrideId: string }
  | { code: 'NotAllowed'; reason: string }
  | { code: 'EmptyWindow' }
  | { code: 'InThePast'; end: Instant }
  | { code: 'Conflict'; reason: string };

/** What the decider needs of the configuration: the schedule (YAML overrides included) and who exists. */
export interface OverrideContext {
  schedule: ScheduleSpec;
  people: ReadonlySet<string>;
}

export const initialOverridesState = (): OverridesState => ({ overrides: new Map() });

/** Idempotent: an event folded again (an instance's own, then from its subscription) changes nothing. */
export function evolveOverrides(state: OverridesState, event: ScheduleEvent): OverridesState {
  if (event.type === 'OverrideAdded' && state.overrides.has(event.data.overrideId)) return state;
  const overrides = new Map(state.overrides);
  if (event.type === 'OverrideAdded') {
    const d = event.data;
    overrides.set(d.overrideId, {
      id: d.overrideId,
      contact: d.person,
      from: d.start,
      to: d.end,
      actor: d.actor,
      addedAt: d.at,
      ...(d.replaces !== undefined ? { replaces: d.replaces } : {}),
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
    });
  } else {
    const known = overrides.get(event.data.overrideId);
    if (known && known.removedAt === undefined)
      overrides.set(event.data.overrideId, { ...known, removedAt: event.data.at });
  }
  return { overrides };
}

export const evolveAllOverrides = (events: ScheduleEvent[], state = initialOverridesState()): OverridesState =>
  events.reduce(evolveOverrides, state);

/** The overrides not removed, in the order they were added. */
export const activeOverrides = (state: OverridesState) =>
  [...state.overrides.values()].filter((o) => o.removedAt === undefined);

/** The schedule as it runs: its YAML overrides, then the stream's in the order they were added. */
export const withStreamOverrides = (schedule: ScheduleSpec, state: OverridesState): ScheduleSpec => ({
  ...schedule,
  overrides: [...schedule.overrides, ...state.overrides.values()],
});

const overlaps = (o: { from: Instant; to: Instant }, start: Instant, end: Instant) =>
  Date.parse(o.from) < Date.parse(end) && Date.parse(start) < Date.parse(o.to);

/**
 * Who may change on-call time, and whether the change makes sense. A responder may put themselves on call
 * (take, cover) and give a shift of their own to a named person (`replaces` themselves); an admin may do
 * anything. Overlapping overrides of different people are allowed: the one added last wins.
 */
export function decideOverride(
  command: OverrideCommand,
  state: OverridesState,
  context: OverrideContext,
): Result<ScheduleEvent[], OverrideError> {
  const { actor } = command;
  const admin = roleAtLeast(actor.role, 'admin');
  // A person signed in, or a phone whose number Twilio's signature vouches for: both are that person.
  const personal = actor.kind === 'person' || actor.kind === 'phone';
  const self = personal ? actor.name : undefined;
  const who = { kind: actor.kind, name: actor.name };
  if (!roleAtLeast(actor.role, 'responder'))
    return err({
      code: 'NotAllowed',
      reason: `${actor.name} is a ${actor.role}; changing on-call time needs the responder role`,
    });

  if (command.type === 'RemoveOverride') {
    const known = state.overrides.get(command.overrideId);
    if (!known || known.removedAt !== undefined)
      return err({ code: 'UnknownOverride', overrideId: command.overrideId });
    const madeBySelf = known.actor?.name === self && (known.actor?.kind === 'person' || known.actor?.kind === 'phone');
    if (!admin && !(self !== undefined && madeBySelf))
      return err({ code: 'NotAllowed', reason: 'a responder may remove only the overrides they made' });
    return ok([{ type: 'OverrideRemoved', data: { overrideId: command.overrideId, actor: who, at: command.at } }]);
  }

  const { start, end, person, replaces } = command;
  for (const name of [person, replaces])
    if (name !== undefined && !context.people.has(name)) return err({ code: 'UnknownPerson', person: name });
  if (Date.parse(start) >= Date.parse(end)) return err({ code: 'EmptyWindow' });
  if (Date.parse(end) <= Date.parse(command.at)) return err({ code: 'InThePast', end });
  if (!admin) {
    const taking = self !== undefined && person === self;
    const giving = self !== undefined && replaces === self;
    if (!taking && !giving)
      return err({
        code: 'NotAllowed',
        reason: 'a responder may put only themselves on call, or give away a shift of their own (replaces: themselves)',
      });
  }
  if (replaces === person) return err({ code: 'Conflict', reason: `${person} cannot replace themselves` });
  const same = activeOverrides(state).find((o) => o.contact === person && overlaps(o, start, end));
  if (same)
    return err({
      code: 'Conflict',
      reason: `${person} already has override ${same.id} from ${same.from} to ${same.to}`,
    });
  // Judged from when it takes effect: a window begun already counts from now.
  const from = Date.parse(start) < Date.parse(command.at) ? command.at : start;
  const shifts = shiftsBetween(withStreamOverrides(context.schedule, state), from, end);
  if (replaces !== undefined && !shifts.some((s) => s.contact === replaces))
    return err({ code: 'Conflict', reason: `${replaces} is not on call between ${from} and ${end}` });
  if (shifts.every((s) => s.contact === person))
    return err({ code: 'Conflict', reason: `${person} is on call for all of ${from} to ${end} already` });
  return ok([
    {
      type: 'OverrideAdded',
      data: {
        overrideId: command.overrideId,
        start,
        end,
        person,
        ...(replaces !== undefined ? { replaces } : {}),
        ...(command.reason !== undefined ? { reason: command.reason } : {}),
        actor: who,
        at: command.at,
      },
    },
  ]);
}

/** The override decider in the emmett shape; `decide` takes the schedule and its people as context. */
export const overrideDecider = {
  initialState: initialOverridesState,
  decide: decideOverride,
  evolve: evolveOverrides,
} as const;

/**
 * Schedules with the overrides their streams recorded, as a replay of the past needs them: each override
 * holds only while it stood (from when it was added until it was removed), so who was paged comes out as
 * it was. Streams of schedules the configuration does not have are left out.
 */
export const withRecordedOverrides = (
  schedules: Record<string, ScheduleSpec>,
  recorded: ReadonlyMap<string, ScheduleEvent[]>,
): Record<string, ScheduleSpec> =>
  Object.fromEntries(
    Object.entries(schedules).map(([name, schedule]) => [
      name,
      withStreamOverrides(schedule, evolveAllOverrides(recorded.get(name) ?? [])),
    ]),
  );
