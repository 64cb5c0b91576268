import { DateTime } from 'luxon';
import type { Incident, PagePurpose } from '@klaxon/domain';
import type { OutgoingBundle, OutgoingPage } from './notifier.ts';

const IMPACT: Record<Incident['severity'], string> = {
  P1: 'Critical: service down or severely degraded, data loss or security risk',
  P2: 'High: major functionality impaired for many users',
  P3: 'Medium: partial degradation, a workaround exists',
  P4: 'Low: minor issue, no user impact',
};

const STATUS_WORD: Record<PagePurpose, string> = {
  escalation: 'OPEN',
  'status-update': 'STATUS UPDATE DUE',
  resolution: 'RESOLVED',
};

/**
 * Twilio refuses an SMS body over 1,600 characters and a call's TwiML over 4,000, for good: a page with a
 * long title would never go out. Titles and services are cut to these lengths (with an ellipsis) in SMS and
 * calls, so the reply code and the link always fit.
 */
export const SMS_TITLE_MAX = 160;
export const VOICE_TITLE_MAX = 300;
export const BUNDLE_TITLE_MAX = 80;
export const SERVICE_MAX = 60;

/** The text cut to `max` characters, an ellipsis last when cut; never inside a character (a surrogate pair). */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const when = (iso: string, zone: string) =>
  `${DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-LL-dd HH:mm ZZ')} (${zone})`;

export function subjectOf({ incident, page }: OutgoingPage): string {
  return `[${incident.severity}] #${incident.number} ${STATUS_WORD[page.purpose]}: ${incident.title} (${incident.service || 'unknown service'})`;
}

/** The SMS: short, the reply codes first-class, GoAlert style. */
export function smsText(p: OutgoingPage): string {
  const { incident, page } = p;
  const title = clip(incident.title, SMS_TITLE_MAX);
  if (page.purpose === 'resolution') return `Klaxon RESOLVED #${incident.number} ${title}. No action needed.`;
  if (page.purpose === 'status-update') {
    return `Klaxon #${incident.number} [${incident.severity}] status update due: ${title}. Post one: ${p.links.incident}`;
  }
  return `Klaxon #${incident.number} [${incident.severity}] L${page.level}: ${title} (${clip(incident.service, SERVICE_MAX)}). Reply ${incident.number}a to ack, ${incident.number}c to resolve. ${p.links.incident}`;
}

/** What the phone call says before asking for a keypress. */
export function voiceScript({ incident, page }: OutgoingPage): string {
  return `This is Klaxon. Severity ${incident.severity.slice(1)} incident number ${incident.number}, escalation level ${page.level}: ${clip(incident.title, VOICE_TITLE_MAX)}, on ${clip(incident.service, SERVICE_MAX) || 'an unknown service'}.`;
}

/** The email, modelled on the runbook's initial notification, status update and resolution notices. */
export function emailText(p: OutgoingPage): string {
  const { incident, page, contact } = p;
  const lines = [
    subjectOf(p),
    '',
    `Severity:        ${incident.severity} (${IMPACT[incident.severity]})`,
    `Service:         ${incident.service || 'unknown'}`,
    `Started:         ${when(incident.alertStartsAt, contact.timezone)}`,
    `Opened:          ${when(incident.openedAt, contact.timezone)}`,
    `Current status:  ${incident.status}${incident.acknowledged ? ` (acknowledged by ${incident.acknowledged.by})` : ''}, escalation level L${incident.level}`,
    `Impact:          ${incident.title}`,
  ];
  const labels = Object.entries(incident.labels).map(([k, v]) => `  ${k}=${v}`);
  if (labels.length) lines.push('', 'Labels:', ...labels);
  lines.push('', `Incident:        ${p.links.incident}`);
  if (page.purpose === 'escalation') {
    lines.push(
      '',
      'How to acknowledge:',
      `  - open ${p.links.incident} and tap Acknowledge (no sign-in: the link is yours alone)`,
      `  - reply ${incident.number}a to the SMS, or press 1 on the call`,
      `  - POST ${p.links.api}/acknowledge`,
    );
  } else if (page.purpose === 'status-update') {
    lines.push(
      '',
      `A status update is due (every ${Math.round(incident.timings.statusUpdateEveryMs / 60_000)} min for ${incident.severity}): what is known, what is being done, next update time.`,
    );
  } else {
    lines.push(
      '',
      `Resolved at ${when(incident.resolved?.at ?? incident.openedAt, contact.timezone)} by ${incident.resolved?.by ?? 'unknown'}. Please add findings to the post-mortem.`,
    );
  }
  return lines.join('\n');
}

/** What a bundle holds, for every channel: how many pages, the highest open severity, the first few titles. */
export function bundleSummary(bundle: OutgoingBundle, shown = 3) {
  const open = bundle.pages.filter((p) => p.page.purpose !== 'resolution' && p.incident.status !== 'resolved');
  const incidents = [...new Map(bundle.pages.map((p) => [p.incident.incidentId, p.incident])).values()];
  const highest = open.map((p) => p.incident.severity).sort()[0];
  const first = [...open, ...bundle.pages.filter((p) => !open.includes(p))]
    .slice(0, shown)
    .map(
      (p) =>
        `#${p.incident.number} ${p.page.purpose === 'resolution' ? 'RESOLVED ' : ''}${clip(p.incident.title, BUNDLE_TITLE_MAX)}`,
    );
  return {
    incidents: incidents.length,
    open: new Set(open.map((p) => p.incident.incidentId)).size,
    highest,
    first,
    more: incidents.length - first.length,
  };
}

/** One SMS for every page that waited for the throttle, with one reply code for all of them. */
export function bundleSmsText(bundle: OutgoingBundle): string {
  const b = bundleSummary(bundle);
  const head =
    b.open > 0
      ? `Klaxon: ${b.incidents} incidents for you, ${b.open} open, highest ${b.highest}.`
      : `Klaxon: ${b.incidents} incidents resolved.`;
  const reply = b.open > 0 ? ` Reply ${bundle.number}aa to ack all, ${bundle.number}cc to resolve all.` : '';
  return `${head} ${b.first.join('; ')}${b.more > 0 ? `; +${b.more} more` : ''}.${reply} ${bundle.links.incidents}`;
}

export function bundleVoiceScript(bundle: OutgoingBundle): string {
  const b = bundleSummary(bundle);
  return `This is Klaxon. ${b.incidents} incidents for you, ${b.open} open${b.highest ? `, the highest severity ${b.highest.slice(1)}` : ''}. ${b.first.join('. ')}.`;
}

export function bundleEmail(bundle: OutgoingBundle): { subject: string; text: string } {
  const b = bundleSummary(bundle);
  const lines = bundle.pages.map(
    ({ incident, page, links }) =>
      `  [${incident.severity}] #${incident.number} ${page.purpose === 'resolution' ? 'RESOLVED' : incident.status}: ${incident.title} (${incident.service || 'unknown service'})  ${links.incident}`,
  );
  return {
    subject: `[Klaxon] ${b.incidents} incidents, ${b.open} open${b.highest ? `, highest ${b.highest}` : ''}`,
    text: [
      `${b.incidents} incidents were paged to you while your messages were held back so as not to flood you.`,
      '',
      ...lines,
      '',
      `All of them: ${bundle.links.incidents}`,
      ...(b.open > 0
        ? ['', `Reply ${bundle.number}aa to the SMS to acknowledge all of them, ${bundle.number}cc to resolve them.`]
        : []),
    ].join('\n'),
  };
}
