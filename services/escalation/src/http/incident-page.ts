/** The incident page: sign in with an API token, then the incident's state, timeline and actions, live. */
export const incidentPageHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Klaxon incident</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#111;background:#fff}
h1{font-size:1.3rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}
button{font-size:1rem;padding:.6rem 1rem;margin:.25rem .25rem .25rem 0}input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box}
.error{color:#a00000}
</style></head>
<body>
<main>
<form id="signin" hidden><h1>Sign in to Klaxon</h1><label for="token">API token</label>
<input id="token" type="password" autocomplete="current-password" required><button type="submit">Sign in</button></form>
<section id="incident" hidden aria-live="polite"></section>
<p id="message" class="error" role="alert"></p>
</main>
<script>
const id = decodeURIComponent(location.pathname.split('/').pop());
const api = '/api/v1/incidents/' + encodeURIComponent(id);
const $ = (s) => document.querySelector(s);
const text = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const when = (iso) => iso ? new Date(iso).toLocaleString() : '';
async function call(path, init = {}) {
  const token = sessionStorage.getItem('klaxon-token');
  if (!token) { $('#signin').hidden = false; return undefined; }
  const res = await fetch(path, { ...init, headers: { ...init.headers, authorization: 'Bearer ' + token, 'content-type': 'application/json' } });
  if (res.status === 401) { sessionStorage.removeItem('klaxon-token'); $('#signin').hidden = false; $('#incident').hidden = true; return undefined; }
  return res;
}
async function load() {
  const res = await call(api);
  if (!res) return;
  if (!res.ok) { $('#message').textContent = res.status === 404 ? 'No such incident.' : 'Klaxon answered ' + res.status; return; }
  const { incident: i, timeline } = await res.json();
  $('#message').textContent = '';
  $('#incident').hidden = false;
  $('#incident').innerHTML = '<h1>#' + i.number + ' ' + text(i.title) + '</h1><dl>' +
    [['Severity', i.severity], ['Status', i.status], ['Level', i.level], ['Paged now', i.assignees.join(', ')], ['Service', i.service],
     ['Opened', when(i.openedAt)], ['Source', i.source]].map(([k, v]) => '<dt>' + k + '</dt><dd>' + text(v) + '</dd>').join('') + '</dl>' +
    (i.status === 'resolved' ? '' : '<button data-act="acknowledge">Acknowledge</button><button data-act="resolve">Resolve</button><button data-act="escalate">Escalate</button>') +
    '<h2>Timeline</h2><table><thead><tr><th scope="col">When</th><th scope="col">What</th></tr></thead><tbody>' +
    timeline.map((e) => '<tr><td>' + text(when(e.at ?? e.openedAt ?? e.recordedAt)) + '</td><td>' + text(e.type) + ' ' + text([e.by, e.contact, e.channel, e.text].filter(Boolean).join(' ')) + '</td></tr>').join('') +
    '</tbody></table>';
}
document.addEventListener('click', async (event) => {
  const act = event.target.dataset && event.target.dataset.act;
  if (!act) return;
  const by = localStorage.getItem('klaxon-name') || prompt('Your name') || 'console';
  localStorage.setItem('klaxon-name', by);
  const res = await call(api + '/' + act, { method: 'POST', body: JSON.stringify({ by }) });
  if (res && !res.ok) $('#message').textContent = (await res.json()).error;
  await load();
});
$('#signin').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('klaxon-token', $('#token').value);
  $('#signin').hidden = true;
  load();
});
load();
setInterval(() => { if (!document.hidden && sessionStorage.getItem('klaxon-token')) load(); }, 5000);
</script>
</body></html>
`;
