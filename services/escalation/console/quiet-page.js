import { useEffect, useState } from 'preact/hooks';
import { json } from './api.js';
import { relative, when } from './format.js';
import { Badge, ErrorNote, html, usePolling, useNow } from './ui.js';

const RANK = { viewer: 0, responder: 1, admin: 2 };

/**
 * `label=value` or `label=~regex` words, as `klaxon silence add` takes them, into the API's matchers
 * (`{label: value}`, `{label: "~regex"}`); undefined when a word is neither.
 */
export function parseMatchers(text) {
  const matchers = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(=~|=)(.+)$/.exec(word);
    if (!m) return undefined;
    matchers[m[1]] = m[2] === '=~' ? `~${m[3]}` : m[3];
  }
  return Object.keys(matchers).length > 0 ? matchers : undefined;
}

const matchersText = (matchers) =>
  Object.entries(matchers)
    .map(([k, v]) => (v.startsWith('~') ? `${k}=~${v.slice(1)}` : `${k}=${v}`))
    .join(' ');

const author = (w) => (w.createdBy ? `by ${w.createdBy.name}` : 'klaxon.yaml');

function useMe() {
  const [me, setMe] = useState(undefined);
  useEffect(() => {
    json('/api/v1/me')
      .then(setMe)
      .catch(() => setMe(undefined));
  }, []);
  return me;
}

/** The silence form: matchers, for how long, why. */
function AddSilence({ onAdded }) {
  const [matchers, setMatchers] = useState('');
  const [duration, setDuration] = useState('2h');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(undefined);
  const submit = async (e) => {
    e.preventDefault();
    setFailure(undefined);
    const parsed = parseMatchers(matchers);
    if (!parsed) return setFailure(new Error('Matchers are label=value or label=~regex, separated by spaces.'));
    setBusy(true);
    try {
      await json('/api/v1/silences', { method: 'POST', body: { matchers: parsed, duration, comment } });
      setMatchers('');
      setComment('');
      onAdded('Silence added.');
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="take" onSubmit=${submit} aria-label="Add a silence">
    <label
      >Matchers
      <input
        value=${matchers}
        onInput=${(e) => setMatchers(e.target.value)}
        placeholder="alertname=DiskFull service=~db.*"
        required
    /></label>
    <label>For <input value=${duration} onInput=${(e) => setDuration(e.target.value)} size="6" required /></label>
    <label
      >Why <input value=${comment} onInput=${(e) => setComment(e.target.value)} placeholder="deploying" required
    /></label>
    <button type="submit" class="primary" disabled=${busy}>Add silence</button>
    <${ErrorNote} error=${failure} />
  </form>`;
}

function WindowItem({ w, now, mayExpire, expire }) {
  const active = w.kind === 'silence' && Date.parse(w.start) <= Math.max(now, Date.now());
  return html`<li>
    <p>
      <strong>${matchersText(w.matchers)}</strong>
      ${' '}${active ? html`<${Badge} kind="acknowledged">silencing</${Badge}>` : ''}
    </p>
    <p>
      ${
        w.kind === 'silence'
          ? `${when(w.start)} → ${when(w.end)} (ends ${relative(w.end, now)})`
          : `${w.days.join(', ')} ${w.from}–${w.to} ${w.timezone}`
      }
    </p>
    <p class="hint">${w.comment} · ${author(w)} · ${w.id}</p>
    ${
      mayExpire &&
      html`<div class="buttons">
        <button type="button" onClick=${() => expire(w)} aria-label=${`Expire ${w.id}`}>Expire</button>
      </div>`
    }
  </li>`;
}

/**
 * `/quiet`: the silences and maintenance windows that hold now or will, and each heartbeat monitor's state.
 * A responder adds and expires silences; an admin expires maintenance windows made through the API (those
 * of klaxon.yaml change there). The API decides who may; the buttons only leave out what it would refuse.
 */
export function QuietPage() {
  const me = useMe();
  const now = useNow(30_000);
  const [note, setNote] = useState(undefined);
  const [failure, setFailure] = useState(undefined);
  const { data, error, refresh } = usePolling(
    async () => {
      const [silences, maintenance, heartbeats] = await Promise.all([
        json('/api/v1/silences'),
        json('/api/v1/maintenance'),
        json('/api/v1/heartbeats'),
      ]);
      return { silences: silences.silences, maintenance: maintenance.maintenance, heartbeats };
    },
    15_000,
    [],
  );
  const rank = me ? (RANK[me.role] ?? 0) : 0;
  const expire = async (w) => {
    setFailure(undefined);
    setNote(undefined);
    try {
      await json(`/api/v1/${w.kind === 'silence' ? 'silences' : 'maintenance'}/${encodeURIComponent(w.id)}`, {
        method: 'DELETE',
      });
      setNote(`Expired ${w.id}.`);
      refresh();
    } catch (e) {
      setFailure(e);
    }
  };
  const added = (text) => {
    setNote(text);
    refresh();
  };
  return html`<h1>Quiet and heartbeats</h1>
    ${note && html`<p class="hint" role="status">${note}</p>`}
    <${ErrorNote} error=${failure ?? error} />
    <h2>Silences</h2>
    ${rank >= RANK.responder && html`<${AddSilence} onAdded=${added} />`}
    ${
      data &&
      (data.silences.length === 0
        ? html`<p class="empty">No silence holds now or later.</p>`
        : html`<ul class="shift-timeline" aria-label="Silences">
            ${data.silences.map(
              (w) => html`<${WindowItem} w=${w} now=${now} mayExpire=${rank >= RANK.responder} expire=${expire} />`,
            )}
          </ul>`)
    }
    <h2>Maintenance windows</h2>
    ${
      data &&
      (data.maintenance.length === 0
        ? html`<p class="empty">No maintenance window.</p>`
        : html`<ul class="shift-timeline" aria-label="Maintenance windows">
            ${data.maintenance.map(
              (w) =>
                html`<${WindowItem}
                  w=${w}
                  now=${now}
                  mayExpire=${rank >= RANK.admin && w.createdBy !== null}
                  expire=${expire}
                />`,
            )}
          </ul>`)
    }
    <h2>Heartbeats</h2>
    ${
      data &&
      (data.heartbeats.length === 0
        ? html`<p class="empty">No heartbeat monitor.</p>`
        : html`<ul class="shift-timeline" aria-label="Heartbeats">
            ${data.heartbeats.map(
              (b) =>
                html`<li>
                  <p>
                    <strong>${b.name}</strong>${' '}
                    <${Badge} kind=${b.state === 'ok' ? 'resolved' : 'open'}>${b.state}</${Badge}>
                  </p>
                  <p class="hint">
                    ${b.lastBeatAt ? `last beat ${relative(b.lastBeatAt, now)}` : 'no beat yet'}
                    ${b.state === 'ok' && b.dueAt ? ` · next due ${relative(b.dueAt, now)}` : ''}
                  </p>
                </li>`,
            )}
          </ul>`)
    }`;
}
