import type { Router } from 'express';
import type { Bus } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import type { Severity, Timings } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Authenticator, OidcSignIn, PersonalTokens, Sessions } from '@klaxon/people';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { AckLinks } from '../acks/ack-links.ts';
import type { OneTapLinks } from '../acks/one-tap-links.ts';
import type { CalendarLinks } from '../calendar/calendar-links.ts';
import type { FeedTokens } from '../calendar/feed-tokens.ts';
import type { SlackChat } from '../chat/slack.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { LiveConfig } from '../config/live-config.ts';
import type { HeartbeatMonitors } from '../heartbeats/heartbeat-monitors.ts';
import { ackLinkRoutes } from '../http/ack-link-routes.ts';
import { auditRoutes } from '../http/audit-routes.ts';
import { authRoutes } from '../http/auth-routes.ts';
import { calendarRoutes } from '../http/calendar-routes.ts';
import { consoleRoutes } from '../http/console-routes.ts';
import { contactMethodRoutes } from '../http/contact-method-routes.ts';
import { deadLetterRoutes } from '../http/dead-letter-routes.ts';
import { deliveryReceiptRoutes } from '../http/delivery-receipt-routes.ts';
import { heartbeatRoutes } from '../http/heartbeat-routes.ts';
import { incidentRoutes } from '../http/incident-routes.ts';
import { kpiProxyRoutes } from '../http/kpi-proxy-routes.ts';
import { onCallRoutes } from '../http/oncall-routes.ts';
import { oneTapRoutes } from '../http/one-tap-routes.ts';
import { peopleRoutes } from '../http/people-routes.ts';
import { reloadRoutes } from '../http/reload-routes.ts';
import { ruleRoutes } from '../http/rule-routes.ts';
import { scheduleRoutes } from '../http/schedule-routes.ts';
import { silenceRoutes } from '../http/silence-routes.ts';
import { twilioRoutes } from '../http/twilio-routes.ts';
import { vonageRoutes } from '../http/vonage-routes.ts';
import { webhookRoutes } from '../http/webhook-routes.ts';
import type { OverrideActions } from '../oncall/override-actions.ts';
import type { Rosters } from '../oncall/rosters.ts';
import type { ScheduleOverrides } from '../oncall/schedule-overrides.ts';
import { takeReply } from '../oncall/take-reply.ts';
import type { ContactMethods } from '../people/contact-methods.ts';
import type { PersonalRules } from '../people/personal-rules.ts';
import type { QuietWindows } from '../silences/quiet-windows.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';

/** What escalation's routes act on: the engine's state and commands, and the features' modules. */
export interface RouteModules {
  config: KlaxonConfig;
  store: EventStore;
  bus: Bus;
  topic: string;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  twilioAuthToken?: string;
  vonageSignatureSecret?: string;
  projectionUrl?: string;
  auth: Authenticator;
  signIn: OidcSignIn | undefined;
  sessions: Sessions;
  personalTokens: PersonalTokens;
  index: IncidentIndex;
  commands: IncidentCommands;
  timings: (severity: Severity) => Timings;
  rosters: Rosters;
  live: LiveConfig;
  scheduleOverrides: ScheduleOverrides;
  overrides: OverrideActions;
  contactMethods: ContactMethods;
  personalRules: PersonalRules;
  ackLinks: AckLinks;
  oneTap: OneTapLinks;
  feedTokens: FeedTokens;
  calendar: CalendarLinks;
  heartbeats: HeartbeatMonitors;
  windows: QuietWindows;
  webhooks: Webhooks;
  slack: SlackChat;
}

/** Every route of escalation, in the order they are matched: the API, the providers' webhooks, then the console. */
export function mountRoutes(routes: Router, m: RouteModules): void {
  const { config, auth, clock, logger, index, commands, rosters, publicUrl } = m;
  const schedules = () => m.scheduleOverrides.schedules();
  authRoutes(routes, { auth: config.auth, signIn: m.signIn, sessions: m.sessions, publicUrl, clock, logger });
  incidentRoutes(routes, { index, commands, rosters, timings: m.timings, clock, auth });
  peopleRoutes(routes, {
    config,
    auth,
    personalTokens: m.personalTokens,
    calendarUrl: (person) => m.calendar.ownUrl(person),
  });
  contactMethodRoutes(routes, { auth, contactMethods: m.contactMethods });
  ruleRoutes(routes, { auth, personalRules: m.personalRules });
  twilioRoutes(routes, {
    take: takeReply(m.overrides, config.contacts, 'phone'),
    index,
    commands,
    contacts: config.contacts,
    whoseNumber: (number) => m.contactMethods.ownerOf(number),
    clock,
    logger,
    authToken: m.twilioAuthToken,
    publicUrl,
  });
  vonageRoutes(routes, {
    index,
    commands,
    contacts: config.contacts,
    clock,
    signatureSecret: m.vonageSignatureSecret,
  });
  deliveryReceiptRoutes(routes, {
    commands,
    clock,
    logger,
    authToken: m.twilioAuthToken,
    publicUrl,
    otherProviders: (channel) => config.providers[channel].length > 1,
  });
  ackLinkRoutes(routes, { commands, ackLinks: m.ackLinks, clock });
  oneTapRoutes(routes, { links: m.oneTap, commands, rosters, contacts: config.contacts, clock });
  onCallRoutes(routes, { config, rosters, clock, auth, schedules });
  scheduleRoutes(routes, {
    schedules,
    actions: m.overrides,
    clock,
    auth,
    calendarUrl: (person, schedule) => m.calendar.scheduleUrl(person, schedule),
  });
  reloadRoutes(routes, { live: m.live, auth });
  deadLetterRoutes(routes, { bus: m.bus, topic: m.topic, auth });
  auditRoutes(routes, { store: m.store, auth });
  heartbeatRoutes(routes, { heartbeats: m.heartbeats, auth });
  silenceRoutes(routes, { windows: m.windows, auth, clock });
  calendarRoutes(routes, { config, schedules, feedTokens: m.feedTokens, links: m.calendar, auth, clock });
  if (m.projectionUrl) kpiProxyRoutes(routes, m.projectionUrl);
  consoleRoutes(routes, { singleSignOn: m.signIn !== undefined });
  webhookRoutes(routes, { webhooks: m.webhooks, auth });
  m.slack.mount(routes);
}
