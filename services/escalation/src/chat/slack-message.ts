import type { Incident } from '@klaxon/domain';
import { assigneesOf } from '../state/incident-summary.ts';

/** The values a button carries: what to do, and to which incident. */
export const SLACK_ACTIONS = { ack: 'acknowledge', resolve: 'resolve', escalate: 'escalate' } as const;
export type SlackAction = keyof typeof SLACK_ACTIONS;

const SEVERITY_MARK = {
  P1: ':red_circle:',
  P2: ':large_orange_circle:',
  P3: ':large_yellow_circle:',
  P4: ':white_circle:',
};

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack's limit on a section's text, with room for the mark and number. */
const TITLE_MAX = 2_900;

function statusLine(s: Incident): string {
  if (s.status === 'resolved' && s.resolved)
    return `:white_check_mark: Resolved by ${s.resolved.by} (${s.resolved.via})`;
  if (s.acknowledged) return `:eyes: Acknowledged by ${s.acknowledged.by} (${s.acknowledged.via}) · L${s.level}`;
  return `:rotating_light: Open · L${s.level}`;
}

/**
 * The one message an incident has in its channel, as the incident stands: posted at opening and replaced
 * (`chat.update`) at every change. Its buttons go while it is resolved.
 */
export function slackMessage(s: Incident, publicUrl: string) {
  const link = `${publicUrl}/incidents/${s.incidentId}`;
  const paged = assigneesOf(s);
  const title = escape(s.title.slice(0, TITLE_MAX));
  const text = `${s.severity} #${s.number} ${s.title.slice(0, TITLE_MAX)} — ${s.status}`;
  const blocks: unknown[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${SEVERITY_MARK[s.severity]} *${s.severity} #${s.number}* <${link}|${title}>` },
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `*Service:* ${escape(s.service || '—')}` },
        { type: 'mrkdwn', text: `*Paged:* ${paged.length > 0 ? paged.map(escape).join(', ') : 'nobody yet'}` },
        { type: 'mrkdwn', text: statusLine(s) },
      ],
    },
  ];
  if (s.status !== 'resolved') {
    const button = (label: string, action: SlackAction, style?: 'primary' | 'danger') => ({
      type: 'button',
      action_id: `klaxon_${action}`,
      text: { type: 'plain_text', text: label },
      value: `${action}:${s.incidentId}`,
      ...(style ? { style } : {}),
    });
    blocks.push({
      type: 'actions',
      block_id: `klaxon_${s.incidentId}`,
      elements: [
        ...(s.acknowledged ? [] : [button('Acknowledge', 'ack', 'primary')]),
        button('Resolve', 'resolve'),
        button('Escalate', 'escalate', 'danger'),
      ],
    });
  }
  return { text, blocks };
}
