import { z } from 'zod';
import { ok, type Result } from '../result.ts';
import { addMs, instantMs, type Instant } from '../time/instant.ts';

const instant = z.string().datetime({ offset: true });

/**
 * A monitor's life in its stream `heartbeat-<name>`. `HeartbeatArmed` starts the count for a monitor that
 * never beat (so one configured while its source is already dead still fires); a beat after a miss
 * closes the miss.
 */
export const heartbeatEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('HeartbeatArmed'), data: z.object({ at: instant }) }),
  z.object({ type: z.literal('HeartbeatBeat'), data: z.object({ at: instant }) }),
  z.object({ type: z.literal('HeartbeatMissed'), data: z.object({ dueAt: instant, at: instant }) }),
]);
export type HeartbeatEvent = z.infer<typeof heartbeatEventSchema>;

export const HEARTBEAT_STREAM_PREFIX = 'heartbeat-';
export const heartbeatStream = (name: string): string => `${HEARTBEAT_STREAM_PREFIX}${name}`;

/** How often a source must beat, and how late a beat may be before it counts as missed. */
export interface HeartbeatTimings {
  intervalMs: number;
  graceMs: number;
}

export interface HeartbeatState {
  armedAt?: Instant;
  lastBeatAt?: Instant;
  /** When the running miss fell due; absent while the source beats. */
  missedAt?: Instant;
}

export const initialHeartbeatState = (): HeartbeatState => ({});

export type HeartbeatCommand =
  { type: 'Arm'; at: Instant } | { type: 'Beat'; at: Instant } | { type: 'Check'; at: Instant };

export function evolveHeartbeat(state: HeartbeatState, event: HeartbeatEvent): HeartbeatState {
  switch (event.type) {
    case 'HeartbeatArmed':
      return { ...state, armedAt: state.armedAt ?? event.data.at };
    case 'HeartbeatBeat': {
      const { missedAt: _closed, ...rest } = state;
      return { ...rest, lastBeatAt: event.data.at };
    }
    case 'HeartbeatMissed':
      return { ...state, missedAt: event.data.dueAt };
  }
}

/** When the next beat must have come; undefined before the monitor is armed. */
export function heartbeatDueAt(state: HeartbeatState, t: HeartbeatTimings): Instant | undefined {
  const from = state.lastBeatAt ?? state.armedAt;
  return from === undefined ? undefined : addMs(from, t.intervalMs + t.graceMs);
}

/**
 * How soon after the last written beat a beat is not written again: an integration's every alert is a beat,
 * and a storm must not become a storm of writes. Under half the grace, so a source that beats on time is
 * never counted missed from the beat that was written: its next one comes before the written one falls due.
 */
const unwrittenBeatMs = (t: HeartbeatTimings) => Math.min(t.intervalMs / 10, t.graceMs / 2);

export function decideHeartbeat(
  command: HeartbeatCommand,
  state: HeartbeatState,
  t: HeartbeatTimings,
): Result<HeartbeatEvent[], never> {
  switch (command.type) {
    case 'Arm':
      return ok(state.armedAt === undefined ? [{ type: 'HeartbeatArmed', data: { at: command.at } }] : []);
    case 'Beat': {
      const last = state.lastBeatAt ?? state.armedAt;
      const recent =
        state.missedAt === undefined &&
        last !== undefined &&
        instantMs(command.at) - instantMs(last) < unwrittenBeatMs(t);
      const armed = state.armedAt === undefined ? [{ type: 'HeartbeatArmed' as const, data: { at: command.at } }] : [];
      return ok(recent ? [] : [...armed, { type: 'HeartbeatBeat', data: { at: command.at } }]);
    }
    case 'Check': {
      const dueAt = heartbeatDueAt(state, t);
      if (dueAt === undefined || state.missedAt !== undefined || instantMs(command.at) < instantMs(dueAt))
        return ok([]);
      return ok([{ type: 'HeartbeatMissed', data: { dueAt, at: command.at } }]);
    }
  }
}
