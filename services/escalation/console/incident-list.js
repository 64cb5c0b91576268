import { useState } from 'preact/hooks';
import { json } from './api.js';
import { relative, when } from './format.js';
import { Badge, ErrorNote, html, usePolling } from './ui.js';

const PAGE = 25;

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

function Rows({ incidents }) {
  if (incidents.length === 0) return html`<p class="empty">None.</p>`;
  return html`<ul class="incidents">
    ${incidents.map(
      (i) =>
        html`<li class=${`incident status-${i.status}`}>
          <a href=${`/incidents/${encodeURIComponent(i.id)}`}>
            <span class="number">#${i.number}</span>
            <${Badge} kind=${i.severity}>${i.severity}<//>
            <span class="title">${i.title}</span>
          </a>
          <span class="meta"
            >${i.status} · ${i.level} · ${i.service || 'no service'} · opened${' '}
            <time datetime=${i.openedAt} title=${when(i.openedAt)}>${relative(i.openedAt)}</time
            >${i.assignees.length ? ` · paging ${i.assignees.join(', ')}` : ''}</span
          >
        </li>`,
    )}
  </ul>`;
}

/** One list (open and acknowledged, or resolved) with its own paging by cursor. */
function Section({ heading, status, filters }) {
  const [cursors, setCursors] = useState([undefined]);
  const cursor = cursors.at(-1);
  const key = JSON.stringify([status, filters, cursor]);
  const { data, error, loading } = usePolling(
    () => json(`/api/v1/incidents?${query({ ...filters, status, limit: PAGE, cursor })}`),
    3000,
    [key],
  );
  return html`<section aria-labelledby=${`h-${status}`}>
    <h2 id=${`h-${status}`}>${heading}</h2>
    <${ErrorNote} error=${error} />
    ${data ? html`<${Rows} incidents=${data.incidents} />` : loading && html`<p aria-busy="true">Loading…</p>`}
    <div class="pager">
      ${cursors.length > 1 && html`<button onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>`}
      ${data?.nextCursor && html`<button onClick=${() => setCursors([...cursors, data.nextCursor])}>Older</button>`}
    </div>
  </section>`;
}

export function IncidentList() {
  const [status, setStatus] = useState('');
  const [severity, setSeverity] = useState('');
  const [service, setService] = useState('');
  const [search, setSearch] = useState('');
  const filters = { severity, service: service.trim(), q: search.trim() };
  const sections =
    status === ''
      ? [
          ['Open and acknowledged', 'unresolved'],
          ['Resolved', 'resolved'],
        ]
      : [[{ open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' }[status], status]];
  return html`<h1>Incidents</h1>
    <form class="filters" role="search" onSubmit=${(e) => e.preventDefault()}>
      <label
        >Search
        <input
          type="search"
          value=${search}
          onInput=${(e) => setSearch(e.target.value)}
          placeholder="title, service, number"
      /></label>
      <label
        >Status
        <select value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="">Open first, then resolved</option>
          <option value="open">Open</option>
          <option value="acknowledged">Acknowledged</option>
          <option value="resolved">Resolved</option>
        </select></label
      >
      <label
        >Severity
        <select value=${severity} onChange=${(e) => setSeverity(e.target.value)}>
          <option value="">Any</option>
          ${['P1', 'P2', 'P3', 'P4'].map((s) => html`<option value=${s}>${s}</option>`)}
        </select></label
      >
      <label>Service <input value=${service} onInput=${(e) => setService(e.target.value)} /></label>
    </form>
    ${sections.map(([heading, s]) => html`<${Section} key=${s} heading=${heading} status=${s} filters=${filters} />`)}`;
}
