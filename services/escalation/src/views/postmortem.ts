import { levelName, participantOf, type Acting, type Incident } from '@klaxon/domain';
import type { HistoryEntry } from '../commands/incident-commands.ts';
import { factTimes } from './time-travel.ts';

/** `2026-11-23 10:05:00 UTC`: post-mortems are read across zones, so one zone, said. */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

function span(fromIso: string, toIso: string | undefined): string {
  if (!toIso) return '—';
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : '', s || (!h && !m) ? `${s} s` : ''].filter(Boolean).join(' ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A timeline row per fact a post-mortem talks about; bookkeeping (deliveries, schedules) stays out. */
function row(event: HistoryEntry['event']): string | undefined {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'IncidentOpened':
      return `Detected: incident opened at ${d.severity} from ${d.source} (policy ${d.policy})`;
    case 'PageRequested':
      return `Paged ${d.contact} by ${d.channel} (L${d.level}, ${d.purpose})`;
    case 'PageFailed':
      return d.retryAt ? undefined : `Page ${d.pageId} failed for good: ${d.error}`;
    case 'ContactUnreachable':
      return `${d.contact} unreachable on every channel (L${d.level})`;
    case 'Escalated':
      return `Escalated L${d.fromLevel} → L${d.toLevel} (${d.reason === 'timeout' ? 'timer' : d.reason}${d.by ? ` by ${d.by}` : ''})`;
    case 'Acknowledged':
      return `Acknowledged by ${d.by} via ${d.via}`;
    case 'StatusUpdatePosted':
      return `Status update by ${d.by}: ${d.text}`;
    case 'SeverityChanged':
      return `Severity ${d.from} → ${d.to} by ${d.by}`;
    case 'Resolved':
      return `Resolved by ${d.by} via ${d.via}`;
    case 'Reopened':
      return `Reopened by ${d.by}`;
    default:
      return undefined;
  }
}

/**
 * A post-mortem draft from the runbook's template: what the store knows, filled in (details, timeline,
 * this incident's MTTD, MTTA and MTTR), and headed places for what only people know.
 */
export function postmortemMarkdown(incident: Incident, history: HistoryEntry[]): string {
  const times = factTimes(history);
  const firstAck = history.find((h) => h.event.type === 'Acknowledged');
  const firstAckAt = firstAck ? times[history.indexOf(firstAck)] : undefined;
  const resolvedAt = incident.resolved?.at;
  const participants = new Set<string>();
  let highest = 1;
  for (const { event } of history) {
    const d = event.data as Acting & { by?: string; toLevel?: number };
    const participant = participantOf(d);
    if (
      ['Acknowledged', 'Escalated', 'Resolved', 'StatusUpdatePosted', 'SeverityChanged', 'Reopened'].includes(
        event.type,
      ) &&
      participant
    )
      participants.add(participant);
    if (event.type === 'Escalated' && d.toLevel && d.toLevel > highest) highest = d.toLevel;
  }
  const severities = history
    .filter((h) => h.event.type === 'SeverityChanged')
    .map((h) => (h.event.data as { from: string }).from);
  const rows: string[] = [`| ${utc(incident.alertStartsAt)} | Alert started (${cell(incident.title)}) |`];
  history.forEach((entry, i) => {
    const text = row(entry.event);
    if (text) rows.push(`| ${utc(times[i]!)} | ${cell(text)} |`);
  });
  return [
    `# Post-mortem: #${incident.number} ${incident.title}`,
    '',
    '## Incident Details',
    '',
    '| | |',
    '| --- | --- |',
    `| Incident | #${incident.number} (\`${incident.incidentId}\`) |`,
    `| Date | ${utc(incident.openedAt)} |`,
    `| Duration | ${resolvedAt ? span(incident.openedAt, resolvedAt) : `ongoing (${incident.status})`} |`,
    `| Severity | ${incident.severity}${severities.length ? ` (was ${severities.join(', then ')})` : ''} |`,
    `| Service | ${cell(incident.service || '—')} |`,
    `| Highest level | ${levelName(highest as 1 | 2 | 3 | 4)} |`,
    `| Participants | ${participants.size ? [...participants].sort().join(', ') : '—'} |`,
    '',
    '## Timeline',
    '',
    '| Time | Event |',
    '| --- | --- |',
    ...rows,
    '',
    '## Metrics',
    '',
    '| | |',
    '| --- | --- |',
    `| MTTD (alert start → detection) | ${span(incident.alertStartsAt, incident.openedAt)} |`,
    `| MTTA (detection → first acknowledgement) | ${span(incident.openedAt, firstAckAt)} |`,
    `| MTTR (detection → resolution) | ${span(incident.openedAt, resolvedAt)} |`,
    '',
    '## Root Cause',
    '',
    '_What caused it, and why it was possible._',
    '',
    '## What Went Well',
    '',
    '- ',
    '',
    '## What Went Wrong',
    '',
    '- ',
    '',
    '## Action Items',
    '',
    '| Action | Owner | Due |',
    '| --- | --- | --- |',
    '| | | |',
    '',
    '## Lessons Learned',
    '',
    '- ',
    '',
  ].join('\n');
}
