import { z } from 'zod';

/** Where the Slack follower keeps each incident's message and how far it got. */
export const SLACK_STREAM = 'chat-slack';

export const slackKeptEventSchema = z.discriminatedUnion('type', [
  /** Recorded right after `chat.postMessage` answered, so every later change updates that message. */
  z.object({
    type: z.literal('SlackMessagePosted'),
    data: z.object({ incidentId: z.string(), channel: z.string(), ts: z.string(), position: z.string() }),
  }),
  /** Absent position: from the start of history (nothing was in the store when Slack was set up). */
  z.object({ type: z.literal('SlackCheckpointed'), data: z.object({ position: z.string().optional() }) }),
]);
export type SlackKeptEvent = z.infer<typeof slackKeptEventSchema>;
