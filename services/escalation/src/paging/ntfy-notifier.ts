import type { Severity } from '@klaxon/domain';
import { NotifierError, type Notifier, type OutgoingPage } from './notifier.ts';
import { bundleEmail, clip, SERVICE_MAX, SMS_TITLE_MAX, subjectOf } from './page-messages.ts';

/** ntfy's priorities: 5 (urgent) and 4 (high) break through a phone's do-not-disturb as the app is set up to. */
const PRIORITY: Record<Severity, string> = { P1: '5', P2: '4', P3: '3', P4: '2' };

/** HTTP headers are Latin-1; ntfy reads other text in them as RFC 2047 encoded words. */
const header = (value: string): string =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/** The notification's body: the title carries severity and number, the buttons the actions. */
function pushText({ incident, page }: OutgoingPage): string {
  const title = clip(incident.title, SMS_TITLE_MAX);
  if (page.purpose === 'resolution') return `Resolved: ${title}. No action needed.`;
  if (page.purpose === 'status-update') return `A status update is due: ${title}.`;
  return `L${page.level}: ${title} (${clip(incident.service, SERVICE_MAX)}).`;
}

export interface NtfySettings {
  /** An access token for topics that need one (`Authorization: Bearer`); public topics need none. */
  token?: string;
  timeoutMs?: number;
}

/**
 * Push through ntfy's publish API: a POST of the message to the person's topic URL (`push.to`), with the
 * title, priority, tags, the incident link as the click action and an Acknowledge button that posts to the
 * page's signed acknowledgement link. Any ntfy server will do, self-hosted included: no vendor relay.
 */
export function ntfyNotifier(settings: NtfySettings = {}): Notifier {
  const publish = async (topicUrl: string | undefined, who: string, text: string, headers: Record<string, string>) => {
    if (!topicUrl) throw new NotifierError(`${who} has no push topic`, false);
    let response: Response;
    try {
      response = await fetch(topicUrl, {
        method: 'POST',
        headers: {
          ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, header(value)])),
          ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
        },
        body: text,
        signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new NotifierError(`ntfy: ${(error as Error).message}`, true);
    }
    const body = await response.text();
    if (!response.ok) {
      const retryable = response.status === 429 || response.status >= 500;
      throw new NotifierError(
        `ntfy ${response.status}: ${body.slice(0, 200)}`,
        retryable,
        undefined,
        retryable || response.status === 401 || response.status === 403,
      );
    }
    const id = (JSON.parse(body || '{}') as { id?: string }).id;
    return { providerId: id ?? 'ntfy' };
  };
  const pageHeaders = (p: OutgoingPage): Record<string, string> => ({
    title: subjectOf(p),
    priority: p.page.purpose === 'escalation' ? PRIORITY[p.incident.severity] : '3',
    tags: p.page.purpose === 'resolution' ? 'white_check_mark' : 'rotating_light',
    click: p.links.incident,
    // The page's one-tap link acknowledges as its person on a POST, without a sign-in.
    ...(p.page.purpose === 'escalation'
      ? { actions: `http, Acknowledge, ${p.links.incident}/acknowledge, method=POST, clear=true` }
      : {}),
  });
  return {
    channel: 'push',
    send: (p) => publish(p.contact.push, p.contactName, pushText(p), pageHeaders(p)),
    sendBundle(bundle) {
      const { subject, text } = bundleEmail(bundle);
      return publish(bundle.contact.push, bundle.contactName, text, {
        title: subject,
        priority: '5',
        tags: 'rotating_light',
        click: bundle.links.incidents,
      });
    },
    sendNotice: (notice) => publish(notice.contact.push, notice.contactName, notice.text, { title: notice.subject }),
  };
}
