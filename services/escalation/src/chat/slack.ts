import { WebClient } from '@slack/web-api';
import type { Router } from 'express';
import type { KlaxonConfig } from '@klaxon/config';
import type { EventStore } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import { Counter, type Registry } from 'prom-client';
import { slackRoutes } from '../http/slack-routes.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import { slackActs } from './slack-acts.ts';
import { slackChannels } from './slack-channel.ts';
import { SlackFollower } from './slack-follower.ts';
import { slackPeople } from './slack-people.ts';
import { slackRequestCheck } from './slack-signature.ts';

export interface SlackChatDeps {
  config: KlaxonConfig;
  store: EventStore;
  index: IncidentIndex;
  commands: IncidentCommands;
  rosters: Rosters;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  registry: Registry;
  /** `/klaxon take 2h`: the person on call, through the same override actions as the API and SMS. */
  take: (person: string, text: string) => Promise<string | undefined>;
}

export interface SlackChat {
  /** Absent without `chat.slack`. */
  follower: SlackFollower | undefined;
  mount(routes: Router): void;
}

/**
 * Slack, both ways, from `chat.slack`: a follower of the store keeps each incident's message, and the
 * inbound routes take buttons and `/klaxon`. Without `chat.slack` the routes are there and refuse every
 * request, as the Twilio webhooks do without a token.
 */
export function slackChat(deps: SlackChatDeps): SlackChat {
  const settings = deps.config.chat.slack;
  const logger = deps.logger.child({ component: 'slack' });
  const client = settings
    ? new WebClient(settings.botToken, {
        ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
        // The follower retries from its kept position; a call must not hold it for half an hour.
        retryConfig: { retries: 2, maxTimeout: 5_000 },
        rejectRateLimitedCalls: true,
        timeout: 10_000,
      })
    : undefined;
  const calls = new Counter({
    name: 'klaxon_slack_calls_total',
    help: 'Slack Web API calls by method and outcome (ok, retried: it could not be reached or limited the rate, refused: Slack said no for good).',
    labelNames: ['method', 'outcome'] as const,
    registers: [deps.registry],
  });
  const follower = client
    ? new SlackFollower({
        store: deps.store,
        client,
        channelOf: slackChannels(deps.config),
        clock: deps.clock,
        logger,
        publicUrl: deps.publicUrl,
        calls,
      })
    : undefined;
  return {
    follower,
    mount: (routes) =>
      slackRoutes(routes, {
        check: slackRequestCheck(settings?.signingSecret, deps.clock),
        client,
        personOf: slackPeople(deps.config.contacts, client),
        act: slackActs(deps),
        take: deps.take,
        index: deps.index,
        rosters: deps.rosters,
        policies: deps.config.policies,
        clock: deps.clock,
        logger,
      }),
  };
}
