import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { hasSession, hasToken, json, signIn, signInMode, signOut, tokenAccepted } from './api.js';
import { AuditPage } from './audit-page.js';
import { IncidentList } from './incident-list.js';
import { IncidentPage } from './incident-page.js';
import { KpiPage } from './kpi-page.js';
import { MePage } from './me-page.js';
import { OnCallPage } from './oncall-page.js';
import { QuietPage } from './quiet-page.js';
import { html } from './ui.js';

/** Each page with the role it needs to be worth a link: the audit log answers admins only. */
const NAV = [
  ['/', 'Incidents', 'viewer'],
  ['/oncall', 'On call', 'viewer'],
  ['/quiet', 'Quiet', 'viewer'],
  ['/kpis', 'KPIs', 'viewer'],
  ['/audit', 'Audit', 'admin'],
  ['/me', 'Me', 'responder'],
];
const RANK = ['viewer', 'responder', 'admin'];
const mayOpen = (me, role) => role === 'viewer' || (me && RANK.indexOf(me.role) >= RANK.indexOf(role));

function page(path) {
  const incident = /^\/incidents\/([^/]+)$/.exec(path);
  if (incident) return html`<${IncidentPage} id=${decodeURIComponent(incident[1])} />`;
  if (path === '/oncall') return html`<${OnCallPage} />`;
  if (path === '/kpis') return html`<${KpiPage} />`;
  if (path === '/quiet') return html`<${QuietPage} />`;
  if (path === '/audit') return html`<${AuditPage} />`;
  if (path === '/me') return html`<${MePage} />`;
  return html`<${IncidentList} />`;
}

/** Shown in place of any page asked for without a session; once signed in, that page shows. */
function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (!(await tokenAccepted(token))) return setError('Klaxon does not accept this token.');
      signIn(token);
      onSignedIn();
    } catch {
      setError('Klaxon did not answer. Try again.');
    } finally {
      setBusy(false);
    }
  };
  const sso = signInMode() === 'oidc';
  const back = encodeURIComponent(location.pathname);
  return html`<main class="signin">
    <h1>Sign in to Klaxon</h1>
    ${
      sso &&
      html`<p><a class="button" href=${`/auth/login?return=${back}`}>Sign in with single sign-on</a></p>
        <p class="hint">Or with a personal or service token:</p>`
    }
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        required
        value=${token}
        onInput=${(e) => setToken(e.target.value)}
      />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
    <p class="hint">The token stays in this browser tab's session and is never put in a link.</p>
  </main>`;
}

/** Who the token belongs to, as Klaxon sees it: every action is recorded in this name. */
function WhoAmI({ me }) {
  if (!me) return null;
  return html`<span class="who">Signed in as <strong>${me.name}</strong> (${me.role})</span>`;
}

function App() {
  const [signedIn, setSignedIn] = useState(hasToken() || hasSession());
  const [me, setMe] = useState(undefined);
  useEffect(() => {
    const out = () => setSignedIn(false);
    addEventListener('klaxon:signed-out', out);
    return () => removeEventListener('klaxon:signed-out', out);
  }, []);
  useEffect(() => {
    if (!signedIn) return setMe(undefined);
    json('/api/v1/me')
      .then(setMe)
      .catch(() => setMe(undefined));
  }, [signedIn]);
  if (!signedIn) return html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`;
  const path = location.pathname;
  return html`<header class="top">
      <a class="brand" href="/">Klaxon</a>
      <nav aria-label="Console">
        ${NAV.filter(([, , role]) => mayOpen(me, role)).map(
          ([href, label]) => html`<a href=${href} aria-current=${path === href ? 'page' : undefined}>${label}</a>`,
        )}
      </nav>
      <${WhoAmI} me=${me} />
      <button class="link" onClick=${signOut}>Sign out</button>
    </header>
    <main>${page(path)}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
