import { useState } from 'preact/hooks';
import { json } from './api.js';
import { ErrorNote, html, usePolling } from './ui.js';

const TYPES = [
  ['sms', 'SMS', 'tel', '+4915112345678'],
  ['voice', 'Voice call', 'tel', '+4915112345678'],
  ['email', 'Email', 'email', 'me@example.com'],
  ['push', 'Push (ntfy topic URL)', 'url', 'https://ntfy.sh/my-pager'],
];

/** 60000 → "1m": the duration a rule step's `after` is written in. */
function duration(ms) {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Steps as the person types them: "0m push, 1m sms, 3m voice". */
const stepsText = (steps) => (steps ?? []).map((s) => `${duration(s.afterMs)} ${s.method}`).join(', ');

/** "0m push, 1m sms" → [{after: '0m', method: 'push'}, …]; an empty text is no rules for that urgency. */
function parseSteps(text) {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.map((part) => {
    const [after, method, ...rest] = part.split(/\s+/);
    if (!method || rest.length > 0) throw new Error(`"${part}" is not a step like "1m sms"`);
    return { after, method };
  });
}

/** One method: what it is, whether it is paged, and what the person may do with it. */
function Method({ method, onChanged }) {
  const [code, setCode] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState(undefined);
  const act = async (what, path, init, done) => {
    setError(undefined);
    setNote('');
    try {
      await json(path, init);
      setNote(done);
      if (what !== 'test' && what !== 'verify') onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const base = `/api/v1/me/methods/${encodeURIComponent(method.id)}`;
  const added = method.source === 'api';
  return html`<li class="method">
    <p>
      <strong>${method.type}</strong> <span class="to">${method.to}</span> ${
        method.verified
          ? html`<span class="badge badge-resolved">paged</span>`
          : html`<span class="badge badge-open">unverified, not paged</span>`
      }
      ${' '}<small>${added ? `id ${method.id}` : '(klaxon.yaml)'}</small>
    </p>
    <div class="buttons">
      ${
        added &&
        !method.verified &&
        html`<button
          onClick=${() => act('verify', `${base}/verify`, { method: 'POST' }, 'A code is on its way to it.')}
        >
          Send code
        </button>`
      }
      <button onClick=${() => act('test', `${base}/test`, { method: 'POST' }, 'Test page sent.')}>Test</button>
      ${
        added &&
        html`<button class="danger" onClick=${() => act('remove', base, { method: 'DELETE' }, 'Removed.')}>
          Remove
        </button>`
      }
    </div>
    ${
      added &&
      !method.verified &&
      html`<form
        class="take"
        onSubmit=${(e) => {
          e.preventDefault();
          act('confirm', `${base}/confirm`, { method: 'POST', body: { code: code.trim() } }, 'Verified.');
        }}
      >
        <label
          >Code
          <input
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            size="8"
            required
            value=${code}
            onInput=${(e) => setCode(e.target.value)}
        /></label>
        <button type="submit">Confirm</button>
      </form>`
    }
    ${note && html`<p class="hint" role="status">${note}</p>`}
    <${ErrorNote} error=${error} />
  </li>`;
}

function AddMethod({ onAdded }) {
  const [type, setType] = useState('sms');
  const [to, setTo] = useState('');
  const [error, setError] = useState(undefined);
  const [, , inputType, placeholder] = TYPES.find(([t]) => t === type);
  const submit = async (e) => {
    e.preventDefault();
    setError(undefined);
    try {
      await json('/api/v1/me/methods', { method: 'POST', body: { type, to: to.trim() } });
      setTo('');
      onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="take" aria-label="Add a contact method" onSubmit=${submit}>
    <label
      >Type
      <select name="type" value=${type} onChange=${(e) => setType(e.target.value)}>
        ${TYPES.map(([t, label]) => html`<option value=${t}>${label}</option>`)}
      </select></label
    >
    <label
      >Address
      <input
        name="to"
        type=${inputType}
        placeholder=${placeholder}
        required
        value=${to}
        onInput=${(e) => setTo(e.target.value)}
    /></label>
    <button type="submit" class="primary">Add</button>
    <${ErrorNote} error=${error} />
  </form>`;
}

function Rules() {
  const { data, error, refresh } = usePolling(() => json('/api/v1/me/rules'), 60_000);
  const [edit, setEdit] = useState(undefined);
  const [saveError, setSaveError] = useState(undefined);
  const [saved, setSaved] = useState(false);
  if (error && !data) return html`<${ErrorNote} error=${error} />`;
  if (!data) return html`<p aria-busy="true">Loading…</p>`;
  const form = edit ?? {
    high: stepsText(data.rules.high),
    low: stepsText(data.rules.low),
    from: data.quietHours?.from ?? '',
    to: data.quietHours?.to ?? '',
  };
  const set = (key) => (e) => {
    setSaved(false);
    setEdit({ ...form, [key]: e.target.value });
  };
  const save = async (e) => {
    e.preventDefault();
    setSaveError(undefined);
    try {
      const high = parseSteps(form.high);
      const low = parseSteps(form.low);
      if (Boolean(form.from) !== Boolean(form.to)) throw new Error('quiet hours need both a start and an end');
      await json('/api/v1/me/rules', {
        method: 'PUT',
        body: {
          ...(high.length ? { high } : {}),
          ...(low.length ? { low } : {}),
          quietHours: form.from ? { from: form.from, to: form.to } : null,
        },
      });
      setEdit(undefined);
      setSaved(true);
      refresh();
    } catch (err) {
      setSaveError(err);
    }
  };
  return html`<p class="hint">
      ${
        data.source === 'api'
          ? 'Set by you here or through the API, in place of klaxon.yaml.'
          : 'As klaxon.yaml says; saving here replaces them for you.'
      }${' '}
      Steps are "after method", separated by commas, e.g. "0m push, 1m sms, 3m voice"; a method is a type (every
      verified method of it) or a method's id. Without steps, a level's channels page you at once.
    </p>
    <form class="rules" onSubmit=${save}>
      <label
        >High urgency (P1, P2)
        <input name="high" value=${form.high} onInput=${set('high')} placeholder="0m push, 1m sms, 3m voice"
      /></label>
      <label
        >Low urgency (P3, P4) <input name="low" value=${form.low} onInput=${set('low')} placeholder="0m email"
      /></label>
      <fieldset>
        <legend>Quiet hours (low urgency waits; high never does)</legend>
        <label>From <input name="quietFrom" type="time" value=${form.from} onInput=${set('from')} /></label>
        <label>To <input name="quietTo" type="time" value=${form.to} onInput=${set('to')} /></label>
      </fieldset>
      <button type="submit" class="primary">Save rules</button>
      ${saved && html`<p class="hint" role="status">Saved.</p>`}
      <${ErrorNote} error=${saveError} />
    </form>`;
}

/** `/me`: the signed-in person's contact methods and notification rules. */
export function MePage() {
  const { data, error, refresh } = usePolling(() => json('/api/v1/me/methods'), 30_000);
  return html`<h1>How Klaxon reaches me</h1>
    <section aria-labelledby="methods">
      <h2 id="methods">Contact methods</h2>
      <${ErrorNote} error=${error} />
      ${
        data &&
        html`<ul class="methods">
          ${data.methods.map((m) => html`<${Method} key=${m.id} method=${m} onChanged=${refresh} />`)}
        </ul>`
      }
      <p class="hint">A method you add is paged only once you confirm the code sent to it.</p>
      <${AddMethod} onAdded=${refresh} />
    </section>
    <section aria-labelledby="rules">
      <h2 id="rules">Notification rules</h2>
      ${data && html`<${Rules} />`}
    </section>`;
}
