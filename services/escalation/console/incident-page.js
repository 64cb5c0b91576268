import { useEffect, useState } from 'preact/hooks';
import { json } from './api.js';
import { httpLink, relative, when } from './format.js';
import { Badge, ErrorNote, html, useNow, usePolling } from './ui.js';

const LEVEL = (n) => `L${n}`;

/** What a pending timer will do, as a responder says it: "L2 in 3 min". */
function timerText(t, now) {
  const due = relative(t.dueAt, now);
  if (t.kind === 'escalation')
    return `${LEVEL(t.level)} ${due}${t.reason === 'ack-timeout' ? ' unless acknowledged' : ' unless resolved'}`;
  if (t.kind === 'status-update') return `status update due ${due}`;
  return `page ${t.pageId} retried ${due}`;
}

const pageCache = new WeakMap();
/** The timeline's page requests by page id, worked out once per timeline. */
function pagesById(timeline) {
  let pages = pageCache.get(timeline);
  if (!pages) {
    pages = new Map(timeline.filter((e) => e.type === 'PageRequested').map((e) => [e.pageId, e]));
    pageCache.set(timeline, pages);
  }
  return pages;
}

const ADDRESS = { sms: 'phone', voice: 'phone', email: 'mailbox', push: 'push topic' };

/** One line of the timeline, in words; `pages` are the timeline's page requests by id, to name whose phone. */
function describe(e, pages) {
  switch (e.type) {
    case 'IncidentOpened':
      return `Opened at ${e.severity} from ${e.source} (policy ${e.policy})`;
    case 'AlertAttached':
      return `Alert ${e.fingerprint} ${e.status}`;
    case 'AlertsAttached': {
      const statuses = [...new Set(e.alerts.map((a) => a.status))].join(' and ');
      return `${e.alerts.length} alerts ${statuses}: ${e.alerts
        .slice(0, 3)
        .map((a) => a.fingerprint)
        .join(', ')}${e.alerts.length > 3 ? ', …' : ''}`;
    }
    case 'PageRequested':
      return `Page to ${e.contact} by ${e.channel} (${LEVEL(e.level)}, ${e.purpose})`;
    case 'PageDelivered':
      return `Page ${e.pageId} handed to ${e.provider ?? 'the provider'}${e.bundle ? ` in bundle ${e.bundle}` : ''}`;
    case 'PageConfirmed': {
      const page = pages.get(e.pageId);
      const to = page ? `${page.contact}'s ${ADDRESS[page.channel] ?? page.channel}` : `page ${e.pageId}'s address`;
      return `Page ${e.pageId} delivered to ${to}${e.provider ? ` (${e.provider})` : ''}`;
    }
    case 'PageFailed':
      return `Page ${e.pageId} failed${e.provider ? ` at ${e.provider}` : ''}: ${e.error}${e.retryAt ? ' (will retry)' : ''}`;
    case 'ContactUnreachable':
      return `${e.contact} unreachable at ${LEVEL(e.level)}`;
    case 'EscalationScheduled':
      return `${LEVEL(e.level)} scheduled for ${when(e.dueAt)} (${e.reason})`;
    case 'Escalated':
      return `Escalated ${LEVEL(e.fromLevel)} → ${LEVEL(e.toLevel)} (${e.reason}${e.by ? ` by ${e.by}` : ''})`;
    case 'Acknowledged':
      return `Acknowledged by ${e.by} via ${e.via}`;
    case 'StatusUpdateScheduled':
      return `Status update due ${when(e.dueAt)}`;
    case 'StatusUpdateDue':
      return `Status update due from ${LEVEL(e.level)}`;
    case 'StatusUpdatePosted':
      return `Status update by ${e.by}: ${e.text}`;
    case 'SeverityChanged':
      return `Severity ${e.from} → ${e.to} by ${e.by}`;
    case 'Resolved':
      return `Resolved by ${e.by} via ${e.via}`;
    case 'Reopened':
      return `Reopened by ${e.by}`;
    default:
      return e.type;
  }
}

/** The runbook's status-update template, filled with what is known now. */
function template(incident) {
  const next = incident.pendingTimers.find((t) => t.kind === 'status-update');
  return [
    `Current status: ${incident.status} at ${incident.level}, ${incident.severity}.`,
    'Progress: ',
    'Next steps: ',
    `Next update: ${next ? when(next.dueAt) : 'within the hour'}`,
  ].join('\n');
}

function Actions({ incident, onDone }) {
  const [severity, setSeverity] = useState(incident.severity);
  const [text, setText] = useState(() => template(incident));
  const [message, setMessage] = useState(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSeverity(incident.severity), [incident.severity]);
  const act = async (path, extra = {}) => {
    setBusy(true);
    try {
      await json(`/api/v1/incidents/${encodeURIComponent(incident.id)}/${path}`, {
        method: 'POST',
        // No name: Klaxon credits whoever the token belongs to.
        body: extra,
      });
      setMessage(undefined);
      await onDone();
    } catch (error) {
      setMessage(error);
    } finally {
      setBusy(false);
    }
  };
  const resolved = incident.status === 'resolved';
  return html`<section class="actions" aria-labelledby="h-actions">
    <h2 id="h-actions">Act</h2>
    <div class="buttons">
      ${incident.status === 'open' && html`<button class="primary" disabled=${busy} onClick=${() => act('acknowledge')}>Acknowledge</button>`}
      ${!resolved && html`<button disabled=${busy} onClick=${() => act('resolve')}>Resolve</button>`}
      ${!resolved && incident.level !== 'L4' && html`<button disabled=${busy} onClick=${() => act('escalate')}>Escalate</button>`}
      ${resolved && html`<button disabled=${busy} onClick=${() => act('reopen')}>Reopen</button>`}
    </div>
    ${
      !resolved &&
      html`<form class="inline" onSubmit=${(e) => (e.preventDefault(), act('severity', { severity }))}>
          <label
            >Severity
            <select value=${severity} onChange=${(e) => setSeverity(e.target.value)}>
              ${['P1', 'P2', 'P3', 'P4'].map((s) => html`<option value=${s}>${s}</option>`)}
            </select>
          </label>
          <button type="submit" disabled=${busy || severity === incident.severity}>Change severity</button>
        </form>
        <form onSubmit=${(e) => (e.preventDefault(), act('status-updates', { text }))}>
          <label for="status-text">Status update</label>
          <textarea id="status-text" rows="5" value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
          <button type="submit" disabled=${busy}>Post status update</button>
        </form>`
    }
    <${ErrorNote} error=${message} />
  </section>`;
}

export function IncidentPage({ id }) {
  const { data, error, refresh } = usePolling(() => json(`/api/v1/incidents/${encodeURIComponent(id)}`), 3000, [id]);
  const now = useNow();
  useEffect(() => {
    if (data) document.title = `#${data.incident.number} ${data.incident.title} · Klaxon`;
  }, [data?.incident.number, data?.incident.title]);
  if (!data) return error ? html`<${ErrorNote} error=${error} />` : html`<p aria-busy="true">Loading…</p>`;
  const { incident: i, timeline } = data;
  const sourceLink = httpLink(i.sourceUrl);
  return html`<article class="incident-page">
    <h1><span class="number">#${i.number}</span> ${i.title}</h1>
    <p class="badges">
      <${Badge} kind=${i.severity}>${i.severity}<//> <${Badge} kind=${i.status}>${i.status}<//>
      <${Badge} kind="level">${i.level}<//>
    </p>
    <${ErrorNote} error=${error} />
    <dl class="facts">
      <dt>Paged now</dt>
      <dd>${i.assignees.length ? i.assignees.join(', ') : 'nobody'}</dd>
      <dt>Service</dt>
      <dd>${i.service || '—'}</dd>
      <dt>Opened</dt>
      <dd>${when(i.openedAt)} (${relative(i.openedAt, now)})</dd>
      ${
        i.acknowledged &&
        html`<dt>Acknowledged</dt>
          <dd>by ${i.acknowledged.by}, ${when(i.acknowledged.at)}</dd>`
      }
      ${
        i.resolved &&
        html`<dt>Resolved</dt>
          <dd>by ${i.resolved.by}, ${when(i.resolved.at)}</dd>`
      }
      <dt>Source</dt>
      <dd>
        ${sourceLink ? html`<a href=${sourceLink} rel="noopener noreferrer" target="_blank">${i.source}</a>` : i.source}
      </dd>
      <dt>Policy</dt>
      <dd>${i.policy}</dd>
    </dl>
    <section aria-labelledby="h-next">
      <h2 id="h-next">Next</h2>
      ${
        i.pendingTimers.length === 0
          ? html`<p class="empty">Nothing scheduled.</p>`
          : html`<ul class="timers">
              ${i.pendingTimers.map((t) => html`<li>${timerText(t, now)}</li>`)}
            </ul>`
      }
    </section>
    <${Actions} incident=${i} onDone=${refresh} />
    <section aria-labelledby="h-labels">
      <h2 id="h-labels">Labels</h2>
      <ul class="labels">
        ${Object.entries(i.labels).map(([k, v]) => html`<li><code>${k}=${v}</code></li>`)}
      </ul>
    </section>
    <section aria-labelledby="h-timeline">
      <h2 id="h-timeline">Timeline</h2>
      <table class="timeline">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
          </tr>
        </thead>
        <tbody>
          ${timeline.map(
            (e, _, all) =>
              html`<tr>
                <td>
                  <time datetime=${e.at ?? e.openedAt ?? e.recordedAt}
                    >${when(e.at ?? e.openedAt ?? e.recordedAt)}</time
                  >
                </td>
                <td>${describe(e, pagesById(all))}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
  </article>`;
}
