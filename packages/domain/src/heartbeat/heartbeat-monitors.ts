import { z } from 'zod';
import { actorSchema, type Actor } from '../people/actor.ts';
import { err, ok, type Result } from '../result.ts';
import { compileMatcher, type Labels, type MatchSpec } from '../routing/label-matcher.ts';
import { parseDuration } from '../time/duration.ts';
import type { Instant } from '../time/instant.ts';

/**
 * The stream of the monitors made through the API. Not `heartbeat-…`: that prefix is each monitor's own
 * stream (`heartbeat-<name>`), and a monitor may be named `monitors`.
 */
export const HEARTBEAT_MONITORS_STREAM = 'heartbeats';

/** What a monitor may be called: it is part of a URL path and of a stream's id. */
export const HEARTBEAT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

const instant = z.string().datetime({ offset: true });
const labels = z.record(z.string(), z.string());

export const heartbeatMonitorEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('HeartbeatMonitorAdded'),
    data: z.object({
      name: z.string().regex(HEARTBEAT_NAME),
      intervalMs: z.number().int().positive(),
      graceMs: z.number().int().nonnegative(),
      labels,
      match: labels.optional(),
      integration: z.string().optional(),
      actor: actorSchema,
      at: instant,
    }),
  }),
  z.object({
    type: z.literal('HeartbeatMonitorRemoved'),
    data: z.object({ name: z.string(), actor: actorSchema, at: instant }),
  }),
]);
export type HeartbeatMonitorEvent = z.infer<typeof heartbeatMonitorEventSchema>;

export interface ApiHeartbeatMonitor {
  name: string;
  intervalMs: number;
  graceMs: number;
  labels: Labels;
  match?: MatchSpec;
  integration?: string;
  createdBy: Actor;
  createdAt: Instant;
}

/** The monitors made through the API that still stand, by name. */
export type HeartbeatMonitorsState = ReadonlyMap<string, ApiHeartbeatMonitor>;

export type HeartbeatMonitorCommand =
  | {
      type: 'AddHeartbeatMonitor';
      name: string;
      /** Durations as people write them (`5m`, `1h30m`); `grace` defaults to none, as in klaxon.yaml. */
      interval: string;
      grace?: string;
      labels?: Labels;
      match?: MatchSpec;
      integration?: string;
      actor: Actor;
      at: Instant;
    }
  | { type: 'RemoveHeartbeatMonitor'; name: string; actor: Actor; at: Instant };

export interface HeartbeatMonitorsContext {
  /** The monitors of klaxon.yaml: changed there, never through the API. */
  configured: ReadonlySet<string>;
  integrations: ReadonlySet<string>;
}

export type HeartbeatMonitorError =
  /** `field`: the body's field at fault. */
  | { code: 'BadName' | 'BadDuration' | 'BadMatcher' | 'UnknownIntegration'; field: string; message: string }
  | { code: 'Configured' | 'Exists' | 'NotFound'; name: string };

export const initialHeartbeatMonitors = (): HeartbeatMonitorsState => new Map();

export function evolveHeartbeatMonitors(
  state: HeartbeatMonitorsState,
  event: HeartbeatMonitorEvent,
): HeartbeatMonitorsState {
  const next = new Map(state);
  if (event.type === 'HeartbeatMonitorRemoved') next.delete(event.data.name);
  else {
    const { actor, at, match, integration, ...spec } = event.data;
    next.set(spec.name, {
      ...spec,
      ...(match ? { match } : {}),
      ...(integration !== undefined ? { integration } : {}),
      createdBy: actor,
      createdAt: at,
    });
  }
  return next;
}

const durationMs = (text: string, field: string, least: number): Result<number, HeartbeatMonitorError> => {
  const parsed = parseDuration(text);
  if (!parsed.ok) return err({ code: 'BadDuration', field, message: parsed.error.message });
  const ms = parsed.value.toMillis();
  return ms < least ? err({ code: 'BadDuration', field, message: 'must be longer than 0' }) : ok(ms);
};

export function decideHeartbeatMonitor(
  command: HeartbeatMonitorCommand,
  state: HeartbeatMonitorsState,
  context: HeartbeatMonitorsContext,
): Result<HeartbeatMonitorEvent[], HeartbeatMonitorError> {
  const { name, actor, at } = command;
  if (context.configured.has(name)) return err({ code: 'Configured', name });
  if (command.type === 'RemoveHeartbeatMonitor') {
    if (!state.has(name)) return err({ code: 'NotFound', name });
    return ok([{ type: 'HeartbeatMonitorRemoved', data: { name, actor, at } }]);
  }
  if (!HEARTBEAT_NAME.test(name))
    return err({
      code: 'BadName',
      field: 'name',
      message: 'a heartbeat name is 1 to 100 letters, digits, ".", "_" or "-"',
    });
  if (state.has(name)) return err({ code: 'Exists', name });
  const interval = durationMs(command.interval, 'interval', 1);
  if (!interval.ok) return interval;
  const grace = durationMs(command.grace ?? '0', 'grace', 0);
  if (!grace.ok) return grace;
  if (command.match) {
    const compiled = compileMatcher(command.match);
    if (!compiled.ok)
      return err({ code: 'BadMatcher', field: `match.${compiled.error.label}`, message: compiled.error.message });
  }
  if (command.integration !== undefined && !context.integrations.has(command.integration))
    return err({
      code: 'UnknownIntegration',
      field: 'integration',
      message: `no integration named "${command.integration}"`,
    });
  return ok([
    {
      type: 'HeartbeatMonitorAdded',
      data: {
        name,
        intervalMs: interval.value,
        graceMs: grace.value,
        labels: command.labels ?? {},
        ...(command.match ? { match: command.match } : {}),
        ...(command.integration !== undefined ? { integration: command.integration } : {}),
        actor,
        at,
      },
    },
  ]);
}
