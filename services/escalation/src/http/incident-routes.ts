import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toInstant, type IncidentCommand, type IncidentState } from '@klaxon/domain';
import { bearerAuth, problemsOf, type Clock } from '@klaxon/service-kit';
import type { IncidentIndex } from '../incidents/incident-index.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import { incidentView, timelineView } from '../incidents/incident-view.ts';
import type { Rosters } from '../incidents/rosters.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';

export interface IncidentRouteDeps {
  index: IncidentIndex;
  repository: IncidentRepository;
  rosters: Rosters;
  clock: Clock;
  apiTokens: string[];
  onExecuted: (incidentId: string, execution: Execution) => void;
}

const byBody = z.object({ by: z.string().min(1).max(200), text: z.string().max(10_000).optional() });
const statusUpdateBody = byBody.extend({ text: z.string().min(1, 'a status update needs its text').max(10_000) });
const listQuery = z.object({ status: z.enum(['open', 'acknowledged', 'resolved']).optional() });

export function incidentRoutes(app: FastifyInstance, deps: IncidentRouteDeps): void {
  const { index, repository, rosters, clock } = deps;
  const auth = bearerAuth(deps.apiTokens);

  app.get('/api/v1/incidents', { onRequest: auth }, async (request, reply) => {
    const query = listQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'invalid query', problems: problemsOf(query.error) });
    const incidents = index
      .all()
      .map(({ state }) => state)
      .filter((s) => !query.data.status || s.status === query.data.status)
      .sort((a, b) => b.number - a.number)
      .map(incidentView);
    return { incidents };
  });

  app.get<{ Params: { id: string } }>('/api/v1/incidents/:id', { onRequest: auth }, async (request, reply) => {
    const { state, history } = await repository.load(request.params.id);
    if (!state.exists) return reply.code(404).send({ error: 'no such incident' });
    return { incident: incidentView(state), timeline: timelineView(history) };
  });

  const command = (
    path: string,
    schema: z.ZodType<{ by: string; text?: string }>,
    build: (body: { by: string; text?: string }, state: IncidentState & { exists: true }, at: string) => IncidentCommand,
  ) =>
    app.post<{ Params: { id: string } }>(`/api/v1/incidents/:id/${path}`, { onRequest: auth }, async (request, reply) => {
      const body = schema.safeParse(request.body ?? {});
      if (!body.success) return reply.code(400).send({ error: 'invalid body', problems: problemsOf(body.error) });
      const at = toInstant(clock.now());
      // On an incident that does not exist any command will do: the decider answers IncidentNotFound.
      const execution = await repository.execute(request.params.id, (state) =>
        state.exists ? build(body.data, state, at) : { type: 'Resolve', by: body.data.by, via: 'api', at },
      );
      if (!execution.ok) return reply.code(httpStatusOf(execution.error)).send({ error: describeError(execution.error), code: execution.error.code });
      deps.onExecuted(request.params.id, execution);
      if (!execution.state.exists) return reply.code(404).send({ error: 'no such incident' });
      return { incident: incidentView(execution.state), events: execution.events.map((e) => e.type) };
    });

  command('acknowledge', byBody, (b, _s, at) => ({ type: 'Acknowledge', by: b.by, via: 'api', at }));
  command('resolve', byBody, (b, _s, at) => ({ type: 'Resolve', by: b.by, via: 'api', at }));
  command('escalate', byBody, (b, s, at) => ({ type: 'Escalate', by: b.by, roster: rosters.forPolicy(s.policy, at), at }));
  command('reopen', byBody, (b, s, at) => ({ type: 'Reopen', by: b.by, roster: rosters.forPolicy(s.policy, at), at }));
  command('status-updates', statusUpdateBody, (b, _s, at) => ({ type: 'PostStatusUpdate', by: b.by, text: b.text ?? '', at }));
}
