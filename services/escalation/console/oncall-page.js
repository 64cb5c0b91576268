import { useState } from 'preact/hooks';
import { json } from './api.js';
import { viewerZone, when } from './format.js';
import { ScheduleChanges } from './oncall-changes.js';
import { ErrorNote, html, usePolling } from './ui.js';

/** `?at=` shows another day (a DST change, next month's rota); absent, now. */
const startAt = () => new URLSearchParams(location.search).get('at') ?? '';

/** An instant as the value of a datetime-local input: the viewer's wall-clock time. */
function localInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function OnCallPage() {
  const [at, setAt] = useState(startAt());
  const [days, setDays] = useState(14);
  const { data, error, refresh } = usePolling(
    () => json(`/api/v1/oncall?days=${days}${at ? `&at=${encodeURIComponent(new Date(at).toISOString())}` : ''}`),
    60_000,
    [at, days],
  );
  return html`<h1>On call</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >From
        <input
          type="datetime-local"
          value=${at ? localInput(at) : ''}
          onChange=${(e) => setAt(e.target.value ? new Date(e.target.value).toISOString() : '')}
      /></label>
      <label
        >Days
        <input type="number" min="1" max="90" value=${days} onChange=${(e) => setDays(Number(e.target.value) || 14)}
      /></label>
      ${at && html`<button type="button" onClick=${() => setAt('')}>Now</button>`}
    </form>
    <${ErrorNote} error=${error} />
    ${
      data &&
      html`<p class="hint">As of ${when(data.at)}; times in the schedule's zone and in yours (${viewerZone}).</p>
        ${data.policies.map(
          (p) =>
            html`<section aria-labelledby=${`p-${p.name}`}>
              <h2 id=${`p-${p.name}`}>Policy ${p.name}</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Level</th>
                    <th scope="col">On call</th>
                    <th scope="col">Targets</th>
                  </tr>
                </thead>
                <tbody>
                  ${p.levels.map(
                    (l) =>
                      html`<tr>
                        <th scope="row">${l.level}</th>
                        <td>
                          ${l.onCall.map((c) => `${c.contact} (${c.channels.join(', ')})`).join('; ') || 'nobody reachable'}
                        </td>
                        <td>${l.targets.join(', ')}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </section>`,
        )}
        ${data.schedules.map(
          (s) =>
            html`<section aria-labelledby=${`s-${s.name}`}>
              <h2 id=${`s-${s.name}`}>Schedule ${s.name}</h2>
              <p class="hint">${s.rotation} rotation, handoff ${s.handoff} ${s.timezone}</p>
              <table class="shifts">
                <thead>
                  <tr>
                    <th scope="col">On call</th>
                    <th scope="col">From (${s.timezone})</th>
                    <th scope="col">To (${s.timezone})</th>
                    <th scope="col">From (yours)</th>
                    <th scope="col">To (yours)</th>
                  </tr>
                </thead>
                <tbody>
                  ${s.shifts.map(
                    (shift) =>
                      html`<tr class=${shift.override ? 'override' : ''}>
                        <td>${shift.contact}${shift.override ? ' (override)' : ''}</td>
                        <td>${when(shift.from, s.timezone)}</td>
                        <td>${when(shift.to, s.timezone)}</td>
                        <td>${when(shift.from)}</td>
                        <td>${when(shift.to)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              <${ScheduleChanges}
                schedule=${s.name}
                zone=${s.timezone}
                people=${Object.keys(data.contacts)}
                onChanged=${refresh}
              />
            </section>`,
        )}`
    }`;
}
