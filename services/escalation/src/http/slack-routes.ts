import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { KlaxonConfig } from '@klaxon/config';
import { LEVEL_NAMES, toInstant } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import { parseSlackCommand, SLACK_HELP } from '../chat/slack-command-text.ts';
import type { slackActs } from '../chat/slack-acts.ts';
import type { SlackAction } from '../chat/slack-message.ts';
import { howToLink, type SlackPerson } from '../chat/slack-people.ts';
import type { slackRequestCheck } from '../chat/slack-signature.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { Rosters } from '../oncall/rosters.ts';

export interface SlackRouteDeps {
  check: ReturnType<typeof slackRequestCheck>;
  client: WebClient | undefined;
  personOf: (userId: string) => Promise<SlackPerson | undefined>;
  act: ReturnType<typeof slackActs>;
  take: (person: string, text: string) => Promise<string | undefined>;
  index: IncidentIndex;
  rosters: Rosters;
  policies: KlaxonConfig['policies'];
  clock: Clock;
  logger: Logger;
}

const interaction = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }).optional(),
  actions: z.array(z.object({ value: z.string().optional() })).min(1),
});
const command = z.object({ user_id: z.string().min(1), text: z.string().default('') });
const BUTTON = /^(ack|resolve|escalate):(.{1,200})$/;

/** The raw body, kept for the signature, which covers the bytes as Slack sent them. */
const form = express.urlencoded({
  extended: false,
  limit: '64kb',
  verify: (_req, res, body) => void ((res as Response).locals.rawBody = Buffer.from(body)),
});

const ephemeral = (res: Response, text: string) => void res.json({ response_type: 'ephemeral', text });

/** `POST /webhooks/slack/interactions` (buttons) and `POST /webhooks/slack/commands` (`/klaxon …`). */
export function slackRoutes(routes: Router, deps: SlackRouteDeps): void {
  const verified: RequestHandler = (req: Request, res: Response, next) => {
    const check = deps.check(req.headers, res.locals.rawBody as Buffer | undefined);
    if (!check.ok) {
      req.log.warn({ reason: check.reason }, 'Slack request refused');
      return void res.status(403).json({ error: check.reason });
    }
    next();
  };

  routes.post('/webhooks/slack/interactions', form, verified, async (req, res) => {
    const raw = (req.body as Record<string, unknown>)?.payload;
    let parsed: z.infer<typeof interaction> | undefined;
    try {
      parsed = interaction.parse(JSON.parse(String(raw)));
    } catch {
      return void res.status(200).end();
    }
    const { user, channel, actions } = parsed;
    const button = BUTTON.exec(actions[0]!.value ?? '');
    res.status(200).end();
    if (!button) return;
    const person = await deps.personOf(user.id);
    const text = person ? await deps.act(person, button[1] as SlackAction, button[2]!) : howToLink(user.id);
    deps.logger.info({ slackUser: user.id, person: person?.name, value: button[0] }, 'Slack button');
    if (channel && deps.client)
      await deps.client.chat
        .postEphemeral({ channel: channel.id, user: user.id, text })
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'Slack ephemeral answer failed'));
  });

  routes.post('/webhooks/slack/commands', form, verified, async (req, res) => {
    const body = command.safeParse(req.body ?? {});
    if (!body.success) return ephemeral(res, SLACK_HELP);
    const { user_id: userId, text } = body.data;
    const person = await deps.personOf(userId);
    if (!person) return ephemeral(res, howToLink(userId));
    const asked = parseSlackCommand(text);
    if (asked.kind === 'help') return ephemeral(res, SLACK_HELP);
    if (asked.kind === 'unknown') return ephemeral(res, `Klaxon does not know "${text.slice(0, 100)}". ${SLACK_HELP}`);
    if (asked.kind === 'oncall') return ephemeral(res, onCallNow(deps));
    if (asked.kind === 'take') {
      const taken = (await deps.take(person.name, asked.text)) ?? SLACK_HELP;
      deps.logger.info({ slackUser: userId, person: person.name, text }, 'Slack command');
      return ephemeral(res, taken);
    }
    const named = deps.index.summaries().filter((s) => s.number === asked.number);
    if (named.length !== 1)
      return ephemeral(
        res,
        named.length === 0
          ? `Klaxon: no incident #${asked.number}.`
          : `Klaxon: #${asked.number} names ${named.length} incidents; act on the one you mean from its message.`,
      );
    const done = await deps.act(person, asked.action, named[0]!.id);
    deps.logger.info({ slackUser: userId, person: person.name, text }, 'Slack command');
    ephemeral(res, done);
  });
}

/** Who each level of each policy pages now. */
function onCallNow(deps: SlackRouteDeps): string {
  const at = toInstant(deps.clock.now());
  const lines = Object.keys(deps.policies).map((policy) => {
    const roster = deps.rosters.forPolicy(policy, at);
    const levels = LEVEL_NAMES.filter((level) => roster[level].length > 0).map(
      (level) => `${level} ${[...new Set(roster[level].map((t) => t.contact))].join(', ')}`,
    );
    return `*${policy}*: ${levels.join(' · ') || 'nobody'}`;
  });
  return `On call now:\n${lines.join('\n')}`;
}
