import type { Router } from 'express';
import { z } from 'zod';
import {
  SEVERITIES,
  storableText,
  toInstant,
  type IncidentCommand,
  type IncidentState,
  type Severity,
  type Timings,
} from '@klaxon/domain';
import { bearerAuth, jsonBody, problemsOf, type Clock } from '@klaxon/service-kit';
import type { IncidentIndex } from '../incidents/incident-index.ts';
import { listIncidents, listQuerySchema } from '../incidents/incident-list.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import { incidentView, timelineView } from '../incidents/incident-view.ts';
import { postmortemMarkdown } from '../incidents/postmortem.ts';
import { asOf } from '../incidents/time-travel.ts';
import type { Rosters } from '../incidents/rosters.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';

export interface IncidentRouteDeps {
  index: IncidentIndex;
  repository: IncidentRepository;
  rosters: Rosters;
  timings: (severity: Severity) => Timings;
  clock: Clock;
  apiTokens: string[];
  onExecuted: (incidentId: string, execution: Execution) => void;
}

const asOfQuery = z
  .object({
    at: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2026-11-23T10:00:00Z' }).optional(),
  })
  .strict();
// A NUL or a lone surrogate would make every store refuse the event that carries it: replaced here.
const byBody = z.object({
  by: z.string().min(1).max(200).transform(storableText),
  text: z.string().max(10_000).transform(storableText).optional(),
});
const statusUpdateBody = byBody.extend({
  text: z.string().min(1, 'a status update needs its text').max(10_000).transform(storableText),
});
const severityBody = byBody.extend({ severity: z.enum(SEVERITIES) });

export function incidentRoutes(routes: Router, deps: IncidentRouteDeps): void {
  const { index, repository, rosters, clock } = deps;
  const auth = bearerAuth(deps.apiTokens);
  const json = jsonBody();

  routes.get('/api/v1/incidents', auth, (req, res) => {
    const query = listQuerySchema.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const page = listIncidents(index, query.data);
    res.json({ incidents: page.incidents, nextCursor: page.nextCursor });
  });

  routes.get('/api/v1/incidents/:id', auth, async (req, res) => {
    const query = asOfQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const { state, history } = await repository.load(String(req.params.id));
    if (!state.exists) return void res.status(404).json({ error: 'no such incident' });
    if (!query.data.at) return void res.json({ incident: incidentView(state), timeline: timelineView(history) });
    // Time travel: the incident as it stood then, from its own facts up to that instant.
    const then = asOf(history, query.data.at);
    if (!then.state.exists)
      return void res
        .status(404)
        .json({ error: `the incident did not exist yet at ${query.data.at}`, openedAt: state.openedAt });
    res.json({ asOf: query.data.at, incident: incidentView(then.state), timeline: timelineView(then.history) });
  });

  routes.get('/api/v1/incidents/:id/postmortem', auth, async (req, res) => {
    const { state, history } = await repository.load(String(req.params.id));
    if (!state.exists) return void res.status(404).json({ error: 'no such incident' });
    res.type('text/markdown; charset=utf-8').send(postmortemMarkdown(state, history));
  });

  const command = <B extends { by: string }>(
    path: string,
    schema: z.ZodType<B>,
    build: (body: B, state: IncidentState & { exists: true }, at: string) => IncidentCommand,
  ) =>
    routes.post(`/api/v1/incidents/:id/${path}`, auth, json, async (req, res) => {
      const body = schema.safeParse(req.body ?? {});
      if (!body.success) return void res.status(400).json({ error: 'invalid body', problems: problemsOf(body.error) });
      const id = String(req.params.id);
      const at = toInstant(clock.now());
      // On an incident that does not exist any command will do: the decider answers IncidentNotFound.
      const execution = await repository.execute(id, (state) =>
        state.exists ? build(body.data, state, at) : { type: 'Resolve', by: body.data.by, via: 'api', at },
      );
      if (!execution.ok)
        return void res
          .status(httpStatusOf(execution.error))
          .json({ error: describeError(execution.error), code: execution.error.code });
      deps.onExecuted(id, execution);
      if (!execution.state.exists) return void res.status(404).json({ error: 'no such incident' });
      res.json({ incident: incidentView(execution.state), events: execution.events.map((e) => e.type) });
    });

  command('acknowledge', byBody, (b, _s, at) => ({ type: 'Acknowledge', by: b.by, via: 'api', at }));
  command('resolve', byBody, (b, _s, at) => ({ type: 'Resolve', by: b.by, via: 'api', at }));
  command('escalate', byBody, (b, s, at) => ({
    type: 'Escalate',
    by: b.by,
    roster: rosters.forPolicy(s.policy, at),
    at,
  }));
  command('reopen', byBody, (b, s, at) => ({ type: 'Reopen', by: b.by, roster: rosters.forPolicy(s.policy, at), at }));
  command('status-updates', statusUpdateBody, (b, _s, at) => ({
    type: 'PostStatusUpdate',
    by: b.by,
    text: b.text,
    at,
  }));
  command('severity', severityBody, (b, _s, at) => ({
    type: 'ChangeSeverity',
    severity: b.severity,
    timings: deps.timings(b.severity),
    by: b.by,
    at,
  }));
}
