import type { IncidentStatus } from '@klaxon/domain';

/**
 * When a channel is in a storm: it has had `messages` incident messages of its own whose incidents opened
 * within `withinMs` of the one opening now. That one, and every later one opening within `withinMs` of the
 * storm's last, goes into one summary message instead; the first opening after a quiet `withinMs` gets its
 * own message again. Times are the incidents' opening times, so a replay decides as the first run did.
 */
export const STORM = { messages: 5, withinMs: 10 * 60_000 } as const;

/** Of these opening times (ms), whether the channel is in a storm at `at`. */
export const stormAt = (openings: readonly number[], at: number): boolean =>
  openings.filter((t) => at - t <= STORM.withinMs).length >= STORM.messages;

/** Opening times within the window of the latest: what `stormAt` can still count. */
export const recentOpenings = (openings: readonly number[]): number[] => {
  const latest = Math.max(...openings);
  return openings.filter((t) => latest - t <= STORM.withinMs);
};

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The storm's one message: how many incidents, how they stand, the list in Klaxon; it updates as they change. */
export function stormSummary(
  channel: string,
  since: number,
  statuses: readonly IncidentStatus[],
  publicUrl: string,
): { text: string; blocks: unknown[] } {
  const count = (s: IncidentStatus) => statuses.filter((x) => x === s).length;
  const standing = `${count('open')} open, ${count('acknowledged')} acknowledged, ${count('resolved')} resolved`;
  const text = `Storm in ${channel}: ${statuses.length} incidents since ${hhmm(since)} UTC — ${standing}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:cyclone: *Storm in ${channel}*: ${statuses.length} incidents since ${hhmm(since)} UTC — ${standing}. <${publicUrl}/incidents|See them in Klaxon>`,
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `More than ${STORM.messages} incidents opened here within ${STORM.withinMs / 60_000} minutes: the rest are ` +
              'counted in this one message. Act on one with `/klaxon ack <number>`; status updates come in this thread.',
          },
        ],
      },
    ],
  };
}
