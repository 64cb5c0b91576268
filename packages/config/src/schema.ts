import { IANAZone } from 'luxon';
import { z } from 'zod';
import {
  CHANNELS,
  compileMatcher,
  LEVEL_NAMES,
  METHOD_TYPES,
  parseDuration,
  ROLES,
  SEVERITIES,
  WEEKDAYS as DAYS,
} from '@klaxon/domain';

/** A Prometheus-style duration (`30s`, `5m`, `2h`, `1h30m`), read as milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: ${parsed.error.message}` });
    return z.NEVER;
  }
  return parsed.value.toMillis();
});
const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0s');

const timezone = z.string().superRefine((zone, ctx) => {
  if (!IANAZone.isValidZone(zone)) ctx.addIssue({ code: 'custom', message: `"${zone}" is not an IANA time zone` });
});

const matchBlock = z.record(z.string(), z.string()).superRefine((spec, ctx) => {
  const compiled = compileMatcher(spec);
  if (!compiled.ok)
    ctx.addIssue({ code: 'custom', path: [compiled.error.label], message: `bad regex: ${compiled.error.message}` });
});

const severityConfig = z
  .object({
    /** Omitted: no level is paged for want of an acknowledgement. */
    ackTimeout: positiveDuration.optional(),
    /** Zero to three delays for L2, L3 and L4, counted from opening; `[]` never escalates by time. */
    escalateAfter: z.array(positiveDuration).max(3, 'at most three delays: for L2, L3 and L4'),
    statusUpdateEvery: positiveDuration,
    responseTarget: positiveDuration,
    resolutionTarget: positiveDuration,
    /** Which of people's notification rules apply; default high for P1 and P2, low for P3 and P4. */
    urgency: z.enum(['high', 'low']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.escalateAfter.some((delay, i) => i > 0 && delay <= s.escalateAfter[i - 1]!)) {
      ctx.addIssue({ code: 'custom', path: ['escalateAfter'], message: 'delays must grow: L2 < L3 < L4' });
    }
  });

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U024BE7LH');
/** A Slack channel id (`C…`, `G…`) or name (`#incidents`) where an incident's message goes. */
const slackChannel = z.string().regex(/^(#[a-z0-9._-]{1,80}|[CG][A-Z0-9]{2,})$/, 'must be a channel id or #name');
const e164 = /^\+[1-9]\d{6,14}$/;
/** A method's address, as its type reads it: a phone number, an email address, an ntfy topic URL. */
export const methodAddressProblem = (type: (typeof METHOD_TYPES)[number], to: string): string | undefined => {
  if (type === 'sms' || type === 'voice') return e164.test(to) ? undefined : 'must be an E.164 number like +4930123456';
  if (type === 'email') return z.email().safeParse(to).success ? undefined : 'must be an email address';
  return /^https?:\/\/[^/\s]+\/[^/\s]+/.test(to)
    ? undefined
    : 'must be an ntfy topic URL like https://ntfy.sh/alice-pager';
};
const contactMethod = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, - and _'),
    type: z.enum(METHOD_TYPES),
    to: z.string(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const problem = methodAddressProblem(m.type, m.to);
    if (problem) ctx.addIssue({ code: 'custom', path: ['to'], message: problem });
  });

const ruleStep = z
  .object({ after: duration.refine((ms) => ms >= 0, 'must be 0s or more'), method: z.string().min(1) })
  .strict()
  .transform((step) => ({ afterMs: step.after, method: step.method }));
const steps = z
  .array(ruleStep)
  .min(1)
  .refine(
    (list) => list.every((step, i) => i === 0 || step.afterMs >= list[i - 1]!.afterMs),
    'steps must not go back in time',
  );
const quietTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time like 22:00');

const contact = z
  .object({
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +4930123456')
      .optional(),
    email: z.email().optional(),
    timezone: timezone.default('UTC'),
    role: z.enum(ROLES).default('responder'),
    /** The person's Slack user id (`U…`), so a button or slash command from Slack acts as them. */
    slack: slackUserId.optional(),
    /** Ways to reach the person besides `phone` and `email` (which imply sms, voice and email); verified as written. */
    methods: z.array(contactMethod).default([]),
    /** Steps `{after, method}` per urgency (a method's id or a type), in place of the policy level's channels. */
    rules: z.object({ high: steps.optional(), low: steps.optional() }).strict().optional(),
    /** Local times in the person's zone: low-urgency pages wait until `to`; high urgency never waits. */
    quietHours: z.object({ from: quietTime, to: quietTime }).strict().optional(),
    /** quiet (issue 27): a notice this long before each of their shifts. */
    shiftNotice: positiveDuration.optional(),
  })
  .strict()
  .refine((c) => c.phone || c.email || c.methods.length > 0, 'needs a phone, an email or a method')
  .superRefine((c, ctx) => {
    const ids = new Set(['sms', 'voice', 'email']);
    c.methods.forEach((m, i) => {
      if (ids.has(m.id))
        ctx.addIssue({
          code: 'custom',
          path: ['methods', i, 'id'],
          message: `"${m.id}" is taken (sms, voice and email name what phone and email imply)`,
        });
      ids.add(m.id);
    });
  });

const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time like 09:00');
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const schedule = z
  .object({
    timezone,
    rotation: z.enum(['daily', 'weekly']),
    /** Local time of the handoff; weekly rotations hand off on `handoffDay`. */
    handoff: localTime.default('09:00'),
    handoffDay: z.enum(WEEKDAYS).default('monday'),
    /** The local date the first member's first shift starts. */
    start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-01-05'),
    members: z.array(z.string()).min(1, 'needs at least one member'),
    overrides: z
      .array(
        z
          .object({ contact: z.string(), from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
          .strict(),
      )
      .default([]),
  })
  .strict();

const target = z.string().regex(/^(contact|schedule):.+$/, 'must be contact:<name> or schedule:<name>');
const level = z.object({ targets: z.array(target).min(1), channels: z.array(z.enum(CHANNELS)).min(1) }).strict();

const policy = z
  .object({
    levels: z.object({ L1: level, L2: level.optional(), L3: level.optional(), L4: level.optional() }).strict(),
    slackChannel: slackChannel.optional(),
  })
  .strict();

const route = z
  .object({
    match: matchBlock.default({}),
    severity: z.enum(SEVERITIES).optional(),
    policy: z.string(),
    continue: z.boolean().default(false),
    /** Where its incidents are posted in Slack; before the policy's `slackChannel`. */
    slackChannel: slackChannel.optional(),
  })
  .strict();

const rule = z.object({ match: matchBlock, escalateTo: z.enum(LEVEL_NAMES) }).strict();

const MINUTE_MS = 60_000;
/** Per contact and channel: at most `burst` messages at once, then one every `every`; the rest wait and go out bundled. */
const channelThrottle = (burst: number) =>
  z
    .object({ every: positiveDuration.default(MINUTE_MS), burst: z.number().int().min(1).max(100).default(burst) })
    .strict()
    .prefault({});
// prefault: an absent block is parsed as `{}`, so the per-channel defaults above are the only ones.
const throttle = z
  .object({ sms: channelThrottle(3), voice: channelThrottle(2), email: channelThrottle(3), push: channelThrottle(3) })
  .strict()
  .prefault({});
/** Per channel, its providers in the order they are tried; their credentials come from the environment. */
const providerList = <T extends string>(names: readonly [T, ...T[]], first: T) =>
  z
    .array(z.enum(names))
    .min(1)
    .default([first])
    .refine((list) => new Set(list).size === list.length, 'each provider once');
const providers = z
  .object({
    sms: providerList(['twilio', 'vonage'], 'twilio'),
    voice: providerList(['twilio', 'vonage'], 'twilio'),
    email: providerList(['smtp', 'smtp2'], 'smtp'),
    push: providerList(['ntfy'], 'ntfy'),
  })
  .strict()
  .prefault({});
const token = z.string().min(16, 'tokens must be at least 16 characters');
/** A bare string is the shared token of old: named `api`, with every right, so existing files keep working. */
/** Console sign-in through an OpenID Provider; `claim` of the ID token is matched to a contact's email. */
const auth = z
  .object({
    oidc: z
      .object({
        issuer: z.url(),
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        claim: z.string().min(1).default('email'),
        scopes: z.array(z.string().min(1)).default(['openid', 'email']),
      })
      .strict()
      .optional(),
    /** How long a console session lasts from sign-in; sign-out ends it before. */
    sessionTtl: positiveDuration.default(12 * 3_600_000),
  })
  .strict()
  .prefault({});
const serviceToken = z.union([
  token.transform((t) => ({ name: 'api', token: t, role: 'admin' as const })),
  z.object({ name: z.string().min(1).max(100), token, role: z.enum(ROLES) }).strict(),
]);

export const WEBHOOK_EVENT_TYPES = [
  'incident.opened',
  'incident.acknowledged',
  'incident.escalated',
  'incident.resolved',
  'incident.reopened',
  'incident.severity_changed',
  'incident.status_update',
  'page.sent',
  'page.failed',
  'oncall.changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An outgoing webhook: signed by the Standard Webhooks convention with a `whsec_<base64>` secret. */
const webhook = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes'),
    url: z.url({ protocol: /^https?$/ }),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'needs at least one event'),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be whsec_ followed by at least 24 bytes in base64'),
  })
  .strict();

const chat = z
  .object({
    slack: z
      .object({
        botToken: z.string().min(1),
        signingSecret: z.string().min(16, 'a Slack signing secret is longer'),
        /** Slack's Web API base, `https://slack.com/api/` unless a test points it elsewhere. */
        apiUrl: z.url().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
// quiet (issue 27): heartbeats.
const heartbeat = z
  .object({
    /** How often the source beats. */
    interval: positiveDuration,
    /** How late a beat may be before the monitor counts it missed. */
    grace: duration.default(0),
    /** Labels of the HeartbeatMissed alert, beside `alertname` and `heartbeat`: they route it. */
    labels: z.record(z.string(), z.string()).default({}),
    /** An alert matching these labels is a beat, not an alert (Alertmanager's always-firing Watchdog). */
    match: matchBlock.optional(),
    /** Every alert from this integration is a beat: the integration going silent is the miss. */
    integration: z.string().optional(),
  })
  .strict();

// quiet (issue 27): weekly maintenance windows, by name (the name is the window's id).
const maintenanceWindow = z
  .object({
    /** Label matchers as in routes; at least one, so a window never silences everything by accident. */
    matchers: matchBlock.refine((m) => Object.keys(m).length > 0, 'needs at least one matcher'),
    every: z.literal('weekly').default('weekly'),
    days: z.array(z.enum(DAYS)).min(1),
    from: localTime,
    to: localTime,
    timezone,
    comment: z.string().default(''),
  })
  .strict()
  .refine((w) => w.from !== w.to, 'from and to must differ');

export const configSchema = z
  .object({
    severities: z.object({ P1: severityConfig, P2: severityConfig, P3: severityConfig, P4: severityConfig }).strict(),
    contacts: z.record(z.string(), contact).default({}),
    schedules: z.record(z.string(), schedule).default({}),
    policies: z.record(z.string(), policy),
    routes: z.array(route).min(1, 'needs at least one route (a catch-all `match: {}` is usual)'),
    /** label name → label value → severity, e.g. severity: {critical: P1}. The first label that maps wins. */
    severityFrom: z
      .record(z.string(), z.record(z.string(), z.enum(SEVERITIES)))
      .default({ severity: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P4' } }),
    rules: z.array(rule).default([]),
    throttle,
    providers,
    integrations: z.record(z.string(), z.object({ token }).strict()).default({}),
    api: z
      .object({ tokens: z.array(serviceToken).default([]) })
      .strict()
      .default({ tokens: [] }),
    auth,
    webhooks: z.array(webhook).default([]),
    chat: chat.default({}),
    maintenance: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, . _ -'), maintenanceWindow)
      .default({}),
    heartbeats: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, . _ -'), heartbeat).default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const contacts = new Set(Object.keys(config.contacts));
    const schedules = new Set(Object.keys(config.schedules));
    for (const [name, s] of Object.entries(config.schedules)) {
      s.members.forEach((m, i) => {
        if (!contacts.has(m))
          ctx.addIssue({ code: 'custom', path: ['schedules', name, 'members', i], message: `unknown contact "${m}"` });
      });
      s.overrides.forEach((o, i) => {
        if (!contacts.has(o.contact))
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', name, 'overrides', i, 'contact'],
            message: `unknown contact "${o.contact}"`,
          });
      });
    }
    for (const [name, p] of Object.entries(config.policies)) {
      for (const [levelName, l] of Object.entries(p.levels)) {
        l?.targets.forEach((t, i) => {
          const [kind, ref] = [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)];
          const known = kind === 'contact' ? contacts : schedules;
          if (!known.has(ref))
            ctx.addIssue({
              code: 'custom',
              path: ['policies', name, 'levels', levelName, 'targets', i],
              message: `unknown ${kind} "${ref}"`,
            });
        });
      }
    }
    config.api.tokens.forEach((t, i) => {
      if (t.token.startsWith('kx_'))
        ctx.addIssue({
          code: 'custom',
          path: ['api', 'tokens', i, 'token'],
          message: 'the prefix kx_ is kept for personal tokens',
        });
    });
    const webhookNames = new Set<string>();
    config.webhooks.forEach((w, i) => {
      if (webhookNames.has(w.name))
        ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `"${w.name}" is named twice` });
      webhookNames.add(w.name);
    });
    for (const [name, h] of Object.entries(config.heartbeats)) {
      if (h.integration !== undefined && !config.integrations[h.integration])
        ctx.addIssue({
          code: 'custom',
          path: ['heartbeats', name, 'integration'],
          message: `unknown integration "${h.integration}"`,
        });
    }
    config.routes.forEach((r, i) => {
      if (!config.policies[r.policy])
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'policy'], message: `unknown policy "${r.policy}"` });
    });
  });

export type KlaxonConfig = z.output<typeof configSchema>;
