import express, { type Response, type Router } from 'express';
import type { KlaxonConfig } from '@klaxon/config';
import { toInstant, type IncidentCommand, type IncidentState } from '@klaxon/domain';
import type { Clock } from '@klaxon/service-kit';
import { oneTapExpired, type Capability, type OneTapLinks } from '../acks/one-tap-links.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';
import { escapeHtml, PLAIN_PAGE_POLICY, plainPage } from './plain-page.ts';

export interface OneTapRouteDeps {
  links: OneTapLinks;
  commands: IncidentCommands;
  rosters: Rosters;
  contacts: KlaxonConfig['contacts'];
  clock: Clock;
}

const ACTIONS = ['acknowledge', 'resolve', 'escalate'] as const;
type Action = (typeof ACTIONS)[number];
type Existing = IncidentState & { exists: true };

const LABEL: Record<Action, string> = { acknowledge: 'Acknowledge', resolve: 'Resolve', escalate: 'Escalate' };

/** Which of the three a person may still do to the incident as it stands. */
const offered = (state: Existing): Action[] =>
  state.status === 'resolved' ? [] : state.status === 'open' ? [...ACTIONS] : ['resolve', 'escalate'];

/**
 * `/i/<capability>`: the link of a page. It shows its incident and lets its person acknowledge, resolve or
 * escalate it, without a sign-in and nothing else. Opening it (GET) changes nothing, so a mail scanner that
 * fetches every link acts on no incident; each action is a POST from the page's own buttons.
 */
export function oneTapRoutes(routes: Router, deps: OneTapRouteDeps): void {
  const send = (res: Response, status: number, title: string, body: string) =>
    void res
      .status(status)
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', PLAIN_PAGE_POLICY)
      .set('Referrer-Policy', 'no-referrer')
      .type('html')
      .send(plainPage(title, body));

  /** The capability's incident if the link may act on it now, or an answer already sent. */
  const admitted = async (
    res: Response,
    raw: string,
  ): Promise<{ capability: Capability; state: Existing } | undefined> => {
    const check = deps.links.verify(raw);
    if (!check.ok) return void send(res, 403, 'Link not valid', '<p>This link is not valid for any incident.</p>');
    const { capability } = check;
    if (!Object.hasOwn(deps.contacts, capability.person))
      return void send(res, 403, 'Link not valid', '<p>This link belongs to someone Klaxon no longer pages.</p>');
    const { state } = await deps.commands.load(capability.incidentId);
    if (!state.exists) return void send(res, 404, 'No such incident', '<p>This incident does not exist.</p>');
    if (oneTapExpired(state, deps.clock.now()))
      return void send(
        res,
        410,
        'Link expired',
        `<p>Incident #${state.number} was resolved more than a day ago; this link no longer works. Sign in to the console to see it.</p>`,
      );
    return { capability, state };
  };

  const pageOf = (raw: string, { capability, state }: { capability: Capability; state: Existing }) => {
    const who = escapeHtml(capability.person);
    const facts = [
      `<p><strong>[${state.severity}] #${state.number} ${escapeHtml(state.title)}</strong></p>`,
      `<p>${escapeHtml(state.service || 'unknown service')} · ${state.status} · level L${state.level}</p>`,
      state.acknowledged ? `<p>Acknowledged by ${escapeHtml(state.acknowledged.by)}.</p>` : '',
      state.resolved ? `<p>Resolved by ${escapeHtml(state.resolved.by)}.</p>` : '',
    ].join('');
    const buttons = offered(state)
      .map(
        (action) =>
          `<form method="post" action="/i/${escapeHtml(raw)}/${action}" style="margin:.5rem 0">` +
          `<button type="submit" style="font-size:1.4rem;padding:.6rem 2rem;width:100%">${LABEL[action]} as ${who}</button></form>`,
      )
      .join('');
    return (
      `${facts}${buttons}<p style="color:#555">This link acts as ${who} on this incident only. ` +
      `<a href="/incidents/${encodeURIComponent(state.incidentId)}">Open it in the console</a> (sign-in) for its timeline and status updates.</p>`
    );
  };

  routes.get('/i/:capability', async (req, res) => {
    const raw = String(req.params.capability);
    const found = await admitted(res, raw);
    if (found) send(res, 200, `Incident #${found.state.number}`, pageOf(raw, found));
  });

  const command = (action: Action, capability: Capability, state: Existing, at: string): IncidentCommand => {
    const who = { by: capability.person, actor: { kind: 'person' as const, name: capability.person } };
    if (action === 'acknowledge') return { type: 'Acknowledge', ...who, via: 'link', at };
    if (action === 'resolve') return { type: 'Resolve', ...who, via: 'link', at };
    return { type: 'Escalate', ...who, roster: deps.rosters.forPolicy(state.policy, at), at };
  };

  for (const action of ACTIONS)
    routes.post(`/i/:capability/${action}`, express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
      const raw = String(req.params.capability);
      const found = await admitted(res, raw);
      if (!found) return;
      const { incidentId } = found.capability;
      const at = toInstant(deps.clock.now());
      const execution = await deps.commands.execute(incidentId, (state) =>
        command(action, found.capability, state.exists ? state : found.state, at),
      );
      if (!execution.ok)
        return send(
          res,
          httpStatusOf(execution.error),
          `Not done`,
          `<p>${escapeHtml(describeError(execution.error))}</p><p><a href="/i/${escapeHtml(raw)}">Back to the incident</a></p>`,
        );
      // Post/redirect/get: reloading the page that follows shows the incident and does nothing again.
      res.status(303).location(`/i/${raw}`).end();
    });
}
