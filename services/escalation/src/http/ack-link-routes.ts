import express, { type Response, type Router } from 'express';
import { toInstant } from '@klaxon/domain';
import type { Clock } from '@klaxon/service-kit';
import type { AckLinkCheck, AckLinks } from '../acks/ack-links.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>${escape(title)}</h1>${body}</body></html>`;

/**
 * The email link. Opening it (GET) only shows the incident and a button: mail scanners that fetch every
 * link must not acknowledge incidents. The button (POST) acknowledges, once.
 */
export function ackLinkRoutes(
  routes: Router,
  deps: {
    commands: IncidentCommands;
    ackLinks: AckLinks;
    clock: Clock;
  },
): void {
  const refuse = (res: Response, check: Extract<AckLinkCheck, { ok: false }>) => {
    const status = check.reason === 'expired' ? 410 : check.reason === 'bad-signature' ? 403 : 400;
    res
      .status(status)
      .send(
        page(
          'Not acknowledged',
          `<p>${check.reason === 'expired' ? 'This link has expired.' : 'This link is not valid.'}</p>`,
        ),
      );
  };

  routes.get('/ack/:token', async (req, res) => {
    res.type('html');
    const check = deps.ackLinks.verify(req.params.token, deps.clock.now());
    if (!check.ok) return refuse(res, check);
    const { state } = await deps.commands.load(check.incidentId);
    if (!state.exists) return void res.status(404).send(page('Not acknowledged', '<p>No such incident.</p>'));
    const summary = `<p>[${state.severity}] #${state.number} ${escape(state.title)} (${escape(state.service || 'unknown service')}): ${state.status}, level L${state.level}.</p>`;
    if (state.usedRefs.includes(check.ref))
      return void res.status(409).send(page('Already used', `${summary}<p>This link was already used.</p>`));
    res.send(
      page(
        `Acknowledge incident #${state.number}?`,
        `${summary}<form method="post" action="/ack/${escape(req.params.token)}"><button type="submit" style="font-size:1.5rem;padding:.5rem 2rem">Acknowledge as ${escape(check.contact)}</button></form>`,
      ),
    );
  });

  routes.post('/ack/:token', express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    res.type('html');
    const now = deps.clock.now();
    const check = deps.ackLinks.verify(req.params.token, now);
    if (!check.ok) return refuse(res, check);
    const execution = await deps.commands.execute(check.incidentId, () => ({
      type: 'Acknowledge',
      by: check.contact,
      via: 'email',
      ref: check.ref,
      at: toInstant(now),
    }));
    if (!execution.ok)
      return void res
        .status(httpStatusOf(execution.error))
        .send(page('Not acknowledged', `<p>${escape(describeError(execution.error))}</p>`));
    const state = execution.state;
    res.send(
      page(
        state.exists ? `Incident #${state.number} acknowledged` : 'Acknowledged',
        `<p>Thank you, ${escape(check.contact)}.</p>`,
      ),
    );
  });
}
