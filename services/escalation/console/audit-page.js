import { useState } from 'preact/hooks';
import { json } from './api.js';
import { ErrorNote, html, usePolling } from './ui.js';

const KINDS = ['', 'incident', 'token', 'session'];

const who = (actor) => (actor ? `${actor.name} (${actor.kind})` : '—');
const detail = (d) =>
  Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');

/** `/audit` (admins): who did what, oldest first, filtered by actor and kind, a page at a time. */
export function AuditPage() {
  const [actor, setActor] = useState('');
  const [kind, setKind] = useState('');
  const [cursors, setCursors] = useState(['']);
  const cursor = cursors[cursors.length - 1];
  const query = new URLSearchParams({ limit: '50' });
  if (actor) query.set('actor', actor);
  if (kind) query.set('kind', kind);
  if (cursor) query.set('cursor', cursor);
  const { data, error } = usePolling(() => json(`/api/v1/audit?${query}`), 15_000, [actor, kind, cursor]);
  const refilter = (set) => (e) => {
    set(e.target.value);
    setCursors(['']);
  };
  return html`<h1>Audit log</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >Actor <input name="actor" value=${actor} onChange=${refilter(setActor)} placeholder="alice or service:api"
      /></label>
      <label
        >Kind
        <select name="kind" value=${kind} onChange=${refilter(setKind)}>
          ${KINDS.map((k) => html`<option value=${k}>${k || 'all'}</option>`)}
        </select></label
      >
    </form>
    ${error && html`<${ErrorNote} error=${error} />`}
    ${
      data &&
      (data.entries.length === 0
        ? html`<p class="empty">Nothing recorded here.</p>`
        : html`<table>
            <thead>
              <tr>
                <th scope="col">When (UTC)</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              ${data.entries.map(
                (e) =>
                  html`<tr>
                    <td>${e.at.slice(0, 19).replace('T', ' ')}</td>
                    <td>${who(e.actor)}</td>
                    <td>${e.kind}</td>
                    <td>${e.subject}</td>
                    <td>${detail(e.detail)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`)
    }
    <p>
      ${cursors.length > 1 && html`<button onClick=${() => setCursors(cursors.slice(0, -1))}>Earlier</button> `}
      ${data?.nextCursor && html`<button onClick=${() => setCursors([...cursors, data.nextCursor])}>Later</button>`}
    </p>`;
}
