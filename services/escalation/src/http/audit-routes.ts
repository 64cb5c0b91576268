import type { Router } from 'express';
import { z } from 'zod';
import type { EventStore } from '@klaxon/event-store';
import { requireRole, type Authenticator } from '@klaxon/people';
import { problemsOf } from '@klaxon/service-kit';
import { readAuditLog } from '../audit/audit-log.ts';

const auditQuery = z
  .object({
    since: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 instant like 2026-11-23T10:00:00Z' })
      .optional(),
    actor: z.string().min(1).max(200).optional(),
    kind: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().regex(/^\d+$/, 'must be a nextCursor of an earlier answer').optional(),
  })
  .strict();

/** `GET /api/v1/audit` (admin): every command with its actor and time, read from the event streams. */
export function auditRoutes(routes: Router, deps: { store: EventStore; auth: Authenticator }): void {
  routes.get('/api/v1/audit', requireRole(deps.auth, 'admin'), async (req, res) => {
    const query = auditQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(query.error) });
    res.json(await readAuditLog(deps.store, query.data));
  });
}
