import { useState } from 'preact/hooks';
import { call, json } from './api.js';
import { duration, percent } from './format.js';
import { ErrorNote, html, usePolling } from './ui.js';

const SEVERITIES = ['P1', 'P2', 'P3', 'P4'];
const COLOURS = { P1: '#b00020', P2: '#b35c00', P3: '#1f5fa8', P4: '#4d5d53' };

const weeksAgo = (n) => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7) - 7 * n);
  return d.toISOString();
};

/** A line per severity over the weeks, in an SVG with its data as a table for screen readers. */
function Chart({ title, series, weeks, pick }) {
  const values = SEVERITIES.flatMap((s) => series[s].map(pick)).filter((v) => v !== null && v !== undefined);
  const max = Math.max(60, ...values);
  const w = 640,
    hgt = 200,
    left = 48,
    bottom = 24;
  const x = (i) => left + (i * (w - left - 8)) / Math.max(1, weeks.length - 1);
  const y = (v) => hgt - bottom - (v / max) * (hgt - bottom - 8);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    ${values.length === 0 && html`<p class="empty">No data in these weeks yet.</p>`}
    <svg viewBox=${`0 0 ${w} ${hgt}`} role="img" aria-label=${`${title}, per week and severity`}>
      <line x1=${left} y1=${hgt - bottom} x2=${w} y2=${hgt - bottom} class="axis" />
      <text x="2" y="14" class="tick">${duration(max)}</text>
      <text x="2" y=${hgt - bottom} class="tick">0</text>
      ${weeks.map((wk, i) => (i % 2 === 0 ? html`<text x=${x(i)} y=${hgt - 6} class="tick" text-anchor="middle">${wk.slice(5, 10)}</text>` : null))}
      ${SEVERITIES.map((s) => {
        const points = series[s].map((b, i) => [i, pick(b)]).filter(([, v]) => v !== null && v !== undefined);
        return html`<g
          ><polyline
            fill="none"
            stroke=${COLOURS[s]}
            stroke-width="2"
            points=${points.map(([i, v]) => `${x(i)},${y(v)}`).join(' ')}
          />
          ${points.map(([i, v]) => html`<circle cx=${x(i)} cy=${y(v)} r="3" fill=${COLOURS[s]} />`)}</g
        >`;
      })}
    </svg>
    <p class="legend">${SEVERITIES.map((s) => html`<span><i style=${`background:${COLOURS[s]}`}></i>${s}</span>`)}</p>
    <details>
      <summary>Figures</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Week</th>
            ${SEVERITIES.map((s) => html`<th scope="col">${s}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${weeks.map(
            (wk, i) =>
              html`<tr>
                <th scope="row">${wk.slice(0, 10)}</th>
                ${SEVERITIES.map((s) => html`<td>${duration(pick(series[s][i]))}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </figure>`;
}

export function KpiPage() {
  const [weeks, setWeeks] = useState(8);
  const from = weeksAgo(weeks - 1);
  const range = `from=${encodeURIComponent(from)}`;
  const { data, error } = usePolling(
    async () => {
      const [all, responders, ...bySeverity] = await Promise.all([
        json(`/api/v1/kpis?${range}`),
        json(`/api/v1/kpis/responders?${range}`),
        ...SEVERITIES.map((s) => json(`/api/v1/kpis?${range}&bucket=week&severity=${s}`)),
      ]);
      return { all, responders, series: Object.fromEntries(SEVERITIES.map((s, i) => [s, bySeverity[i].buckets])) };
    },
    30_000,
    [from],
  );
  const [downloadError, setDownloadError] = useState(undefined);
  const download = async () => {
    try {
      const res = await call(`/api/v1/kpis?${range}&bucket=week`, { accept: 'text/csv' });
      if (!res.ok) throw new Error(`Klaxon answered ${res.status}`);
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), {
        href: url,
        download: `klaxon-kpis-${from.slice(0, 10)}.csv`,
      });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setDownloadError(undefined);
    } catch (error) {
      setDownloadError(error);
    }
  };
  const weekStarts = data ? data.series.P1.map((b) => b.start) : [];
  return html`<h1>KPIs</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >Weeks
        <select value=${weeks} onChange=${(e) => setWeeks(Number(e.target.value))}>
          ${[4, 8, 12, 26].map((n) => html`<option value=${n}>${n}</option>`)}
        </select></label
      >
      <button type="button" onClick=${download}>Download CSV</button>
    </form>
    <${ErrorNote} error=${error ?? downloadError} />
    ${
      data &&
      html`<section class="cards" aria-label=${`Since ${from.slice(0, 10)}`}>
          <div>
            <h2>Incidents</h2>
            <p>${data.all.incidents.total}</p>
            <small>${data.all.incidents.open} open · ${data.all.incidents.acknowledged} acknowledged</small>
          </div>
          <div>
            <h2>MTTA</h2>
            <p>${duration(data.all.mtta.p50Seconds)}</p>
            <small>p90 ${duration(data.all.mtta.p90Seconds)}</small>
          </div>
          <div>
            <h2>MTTR</h2>
            <p>${duration(data.all.mttr.p50Seconds)}</p>
            <small>p90 ${duration(data.all.mttr.p90Seconds)}</small>
          </div>
          <div>
            <h2>Escalation rate</h2>
            <p>${percent(data.all.escalationRate)}</p>
            <small>reached L2 or above</small>
          </div>
        </section>
        <${Chart} title="MTTA p50" series=${data.series} weeks=${weekStarts} pick=${(b) => b.mtta.p50Seconds} />
        <${Chart} title="MTTA p90" series=${data.series} weeks=${weekStarts} pick=${(b) => b.mtta.p90Seconds} />
        <${Chart} title="MTTR p50" series=${data.series} weeks=${weekStarts} pick=${(b) => b.mttr.p50Seconds} />
        <${Chart} title="MTTR p90" series=${data.series} weeks=${weekStarts} pick=${(b) => b.mttr.p90Seconds} />
        <section aria-labelledby="h-sla">
          <h2 id="h-sla">SLA compliance</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Response met</th>
                <th scope="col">Resolution met</th>
              </tr>
            </thead>
            <tbody>
              ${SEVERITIES.map(
                (s) =>
                  html`<tr>
                    <th scope="row">${s}</th>
                    <td>
                      ${percent(data.all.sla[s].responseMet)} (target
                      ${duration(data.all.sla[s].responseTargetSeconds)})
                    </td>
                    <td>
                      ${percent(data.all.sla[s].resolutionMet)} (target
                      ${duration(data.all.sla[s].resolutionTargetSeconds)})
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="h-responders">
          <h2 id="h-responders">Per responder</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Responder</th>
                <th scope="col">Pages</th>
                <th scope="col">Night pages</th>
                <th scope="col">Failed</th>
                <th scope="col">Acknowledged</th>
                <th scope="col">Resolved</th>
              </tr>
            </thead>
            <tbody>
              ${data.responders.responders.map(
                (r) =>
                  html`<tr>
                    <th scope="row">${r.contact}</th>
                    <td>${r.pages}</td>
                    <td>${r.nightPages}</td>
                    <td>${r.failed}</td>
                    <td>${r.acknowledged}</td>
                    <td>${r.resolved}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>`
    }`;
}
