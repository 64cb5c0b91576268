import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** Preact and htm as the browser imports them: ES modules straight from their packages, no build step. */
// Their main files (CommonJS) sit beside the ES module builds in each package's dist folder.
const distOf = (name: string) => dirname(require.resolve(name));
const VENDOR: Record<string, string> = {
  'preact.mjs': join(distOf('preact'), 'preact.module.js'),
  'hooks.mjs': join(distOf('preact/hooks'), 'hooks.module.js'),
  'htm.mjs': join(distOf('htm'), 'htm.module.js'),
};

const importMap = JSON.stringify({
  imports: {
    preact: '/console/vendor/preact.mjs',
    'preact/hooks': '/console/vendor/hooks.mjs',
    htm: '/console/vendor/htm.mjs',
  },
});
// The import map is the one inline script: the policy allows exactly it, by hash.
const importMapHash = createHash('sha256').update(importMap).digest('base64');
const POLICY = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${importMapHash}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const shell = (signIn: 'oidc' | 'token') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="klaxon-sign-in" content="${signIn}">
<title>Klaxon</title><link rel="stylesheet" href="/console/console.css">
<script type="importmap">${importMap}</script>
<script type="module" src="/console/app.js"></script>
</head><body><div id="app"><main><p aria-busy="true">Loading Klaxon…</p></main></div>
<noscript><p>The Klaxon console needs JavaScript. The API answers at /api/v1/incidents.</p></noscript></body></html>`;

/**
 * The web console at KLAXON_PUBLIC_URL, the origin every page links to: `/` incidents, `/incidents/:id`,
 * `/oncall`, `/kpis`, `/audit`, `/quiet`, `/me` (the person's contact methods and rules). Each page is the same shell; the data comes from the API with the token the browser
 * session holds (a token, or the session cookie of a single sign-on, which the shell's meta tag announces).
 * The email acknowledgement link (`/ack/:token`) is its own page and needs no sign-in.
 */
export function consoleRoutes(routes: Router, options: { singleSignOn: boolean }): void {
  const html = shell(options.singleSignOn ? 'oidc' : 'token');
  const page = (_req: express.Request, res: express.Response) =>
    void res
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', POLICY)
      .set('X-Content-Type-Options', 'nosniff')
      .type('html')
      .send(html);
  routes.get(['/', '/incidents/:id', '/oncall', '/kpis', '/audit', '/quiet', '/me'], page);
  routes.get('/console/vendor/:file', (req, res) => {
    const file = VENDOR[String(req.params.file)];
    if (!file) return void res.status(404).end();
    // The pnpm store lies under node_modules/.pnpm: a dot-folder send would otherwise refuse.
    res.set('Cache-Control', 'public, max-age=86400').type('text/javascript').sendFile(file, { dotfiles: 'allow' });
  });
  routes.use(
    '/console',
    express.static(CONSOLE_DIR, { maxAge: 0, setHeaders: (res) => res.set('X-Content-Type-Options', 'nosniff') }),
  );
}
