import type { FastifyInstance } from 'fastify';
import { toInstant } from '@klaxon/domain';
import type { Clock } from '@klaxon/service-kit';
import type { AckLinks } from '../acks/ack-links.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto"><h1>${title}</h1><p>${text}</p></body></html>`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function ackLinkRoutes(
  app: FastifyInstance,
  deps: { repository: IncidentRepository; ackLinks: AckLinks; clock: Clock; onExecuted: (incidentId: string, execution: Execution) => void },
): void {
  app.get<{ Params: { token: string } }>('/ack/:token', async (request, reply) => {
    const now = deps.clock.now();
    const check = deps.ackLinks.verify(request.params.token, now);
    reply.type('text/html; charset=utf-8');
    if (!check.ok) {
      const status = check.reason === 'expired' ? 410 : check.reason === 'bad-signature' ? 403 : 400;
      const why = check.reason === 'expired' ? 'This link has expired.' : 'This link is not valid.';
      return reply.code(status).send(page('Not acknowledged', why));
    }
    const execution = await deps.repository.execute(check.incidentId, () => ({
      type: 'Acknowledge',
      by: check.contact,
      via: 'email',
      ref: check.ref,
      at: toInstant(now),
    }));
    if (!execution.ok) return reply.code(httpStatusOf(execution.error)).send(page('Not acknowledged', escape(describeError(execution.error))));
    deps.onExecuted(check.incidentId, execution);
    const state = execution.state;
    const title = state.exists ? `Incident #${state.number} acknowledged` : 'Acknowledged';
    return reply.send(page(escape(title), state.exists ? `${escape(state.title)}. Thank you, ${escape(check.contact)}.` : ''));
  });
}
