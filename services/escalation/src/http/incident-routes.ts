import type { Router } from 'express';
import { z } from 'zod';
import {
  actingAs,
  SEVERITIES,
  storableText,
  toInstant,
  type ActingAs,
  type IncidentCommand,
  type IncidentState,
  type Severity,
  type Timings,
} from '@klaxon/domain';
import { principalOf, requireRole, type Authenticator } from '@klaxon/people';
import { jsonBody, problemsOf, type Clock } from '@klaxon/service-kit';
import type { IncidentIndex } from '../state/incident-index.ts';
import { listIncidents, listQuerySchema } from '../views/incident-list.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import { incidentView, timelineView } from '../views/incident-view.ts';
import { postmortemMarkdown } from '../views/postmortem.ts';
import { asOf } from '../views/time-travel.ts';
import type { Rosters } from '../oncall/rosters.ts';
import { describeError, httpStatusOf } from './incident-errors.ts';

export interface IncidentRouteDeps {
  index: IncidentIndex;
  commands: IncidentCommands;
  rosters: Rosters;
  timings: (severity: Severity) => Timings;
  clock: Clock;
  auth: Authenticator;
}

const asOfQuery = z
  .object({
    at: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 instant like 2026-11-23T10:00:00Z' }).optional(),
  })
  .strict();
// A NUL or a lone surrogate would make every store refuse the event that carries it: replaced here.
/** `by`: whom to credit; someone other than the caller only when an admin acts on their behalf. */
const byBody = z.object({
  by: z.string().min(1).max(200).transform(storableText).optional(),
  text: z.string().max(10_000).transform(storableText).optional(),
});
const statusUpdateBody = byBody.extend({
  text: z.string().min(1, 'a status update needs its text').max(10_000).transform(storableText),
});
const severityBody = byBody.extend({ severity: z.enum(SEVERITIES) });

export function incidentRoutes(routes: Router, deps: IncidentRouteDeps): void {
  const { index, commands, rosters, clock } = deps;
  const viewer = requireRole(deps.auth, 'viewer');
  const responder = requireRole(deps.auth, 'responder');
  const json = jsonBody();

  routes.get('/api/v1/incidents', viewer, (req, res) => {
    const query = listQuerySchema.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const page = listIncidents(index, query.data);
    res.json({ incidents: page.incidents, nextCursor: page.nextCursor });
  });

  routes.get('/api/v1/incidents/:id', viewer, async (req, res) => {
    const query = asOfQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    const { state, history } = await commands.load(String(req.params.id));
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

  routes.get('/api/v1/incidents/:id/postmortem', viewer, async (req, res) => {
    const { state, history } = await commands.load(String(req.params.id));
    if (!state.exists) return void res.status(404).json({ error: 'no such incident' });
    res.type('text/markdown; charset=utf-8').send(postmortemMarkdown(state, history));
  });

  const command = <B extends { by?: string }>(
    path: string,
    schema: z.ZodType<B>,
    build: (body: B, who: ActingAs, state: IncidentState & { exists: true }, at: string) => IncidentCommand,
  ) =>
    routes.post(`/api/v1/incidents/:id/${path}`, responder, json, async (req, res) => {
      const body = schema.safeParse(req.body ?? {});
      if (!body.success) return void res.status(400).json({ error: 'invalid body', problems: problemsOf(body.error) });
      const acting = actingAs(principalOf(res), body.data.by);
      if (!acting.ok)
        return void res.status(403).json({
          error: `only an admin may act in another's name (by: ${body.data.by})`,
          required: 'admin',
        });
      const who = acting.value;
      const id = String(req.params.id);
      const at = toInstant(clock.now());
      // On an incident that does not exist any command will do: the decider answers IncidentNotFound.
      const execution = await commands.execute(id, (state) =>
        state.exists ? build(body.data, who, state, at) : { type: 'Resolve', ...who, via: 'api', at },
      );
      if (!execution.ok)
        return void res
          .status(httpStatusOf(execution.error))
          .json({ error: describeError(execution.error), code: execution.error.code });
      if (!execution.state.exists) return void res.status(404).json({ error: 'no such incident' });
      res.json({ incident: incidentView(execution.state), events: execution.events.map((e) => e.type) });
    });

  command('acknowledge', byBody, (_b, who, _s, at) => ({ type: 'Acknowledge', ...who, via: 'api', at }));
  command('resolve', byBody, (_b, who, _s, at) => ({ type: 'Resolve', ...who, via: 'api', at }));
  command('escalate', byBody, (_b, who, s, at) => ({
    type: 'Escalate',
    ...who,
    roster: rosters.forPolicy(s.policy, at),
    at,
  }));
  command('reopen', byBody, (_b, who, s, at) => ({
    type: 'Reopen',
    ...who,
    roster: rosters.forPolicy(s.policy, at),
    at,
  }));
  command('status-updates', statusUpdateBody, (b, who, _s, at) => ({
    type: 'PostStatusUpdate',
    ...who,
    text: b.text,
    at,
  }));
  command('severity', severityBody, (b, who, _s, at) => ({
    type: 'ChangeSeverity',
    severity: b.severity,
    timings: deps.timings(b.severity),
    ...who,
    at,
  }));
}
