import { z } from 'zod';

/** Where the Slack follower keeps each incident's message and how far it got. */
export const SLACK_STREAM = 'chat-slack';

const instant = z.iso.datetime({ offset: true });

export const slackKeptEventSchema = z.discriminatedUnion('type', [
  /** Recorded right after `chat.postMessage` answered, so every later change updates that message. */
  z.object({
    type: z.literal('SlackMessagePosted'),
    data: z.object({
      incidentId: z.string(),
      channel: z.string(),
      ts: z.string(),
      position: z.string(),
      /** The channel as configured and when the incident opened: what the storm rule counts. */
      opened: z.object({ channel: z.string(), at: instant }).optional(),
    }),
  }),
  /** A storm's summary message in a channel (as configured; `channelId` as Slack answered). */
  z.object({
    type: z.literal('SlackSummaryPosted'),
    data: z.object({ channel: z.string(), channelId: z.string(), ts: z.string(), since: instant }),
  }),
  /** Incidents counted in a storm's summary instead of a message of their own; `lastAt`: the latest opening. */
  z.object({
    type: z.literal('SlackSummaryJoined'),
    data: z.object({
      channel: z.string(),
      ts: z.string(),
      incidentIds: z.array(z.string()).min(1),
      lastAt: instant,
    }),
  }),
  /** Absent position: from the start of history (nothing was in the store when Slack was set up). */
  z.object({ type: z.literal('SlackCheckpointed'), data: z.object({ position: z.string().optional() }) }),
]);
export type SlackKeptEvent = z.infer<typeof slackKeptEventSchema>;
