import type { Router } from 'express';
import { z } from 'zod';
import type { Bus } from '@klaxon/bus';
import { requireRole, type Authenticator } from '@klaxon/people';
import { problemsOf } from '@klaxon/service-kit';

const query = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict();

export interface DeadLetterRouteDeps {
  bus: Bus;
  topic: string;
  auth: Authenticator;
}

/**
 * `GET /api/v1/dead-letters?limit=`: the newest records escalation moved aside (not alerts, or failing the
 * same way every time), oldest first, each with why, where it came from and the record as it was. For
 * admins: a dead letter is a raw record, whatever its sender put in it.
 */
export function deadLetterRoutes(routes: Router, deps: DeadLetterRouteDeps): void {
  routes.get('/api/v1/dead-letters', requireRole(deps.auth, 'admin'), async (req, res) => {
    const q = query.safeParse(req.query);
    if (!q.success) return void res.status(400).json({ error: 'invalid query', problems: problemsOf(q.error) });
    let letters;
    try {
      letters = await deps.bus.deadLetters(deps.topic, q.data.limit);
    } catch (error) {
      return void res.status(503).json({ error: `the bus did not answer: ${(error as Error).message}` });
    }
    res.json({
      deadLetters: letters.map((r) => {
        const {
          'klaxon-dead-letter-reason': reason,
          'klaxon-dead-letter-attempts': attempts,
          'klaxon-original-topic': topic,
          'klaxon-original-partition': partition,
          'klaxon-original-offset': offset,
          ...headers
        } = r.headers;
        return {
          deadLetteredAt: r.publishedAt,
          reason: reason ?? '',
          attempts: attempts === undefined ? undefined : Number(attempts),
          from: { topic, partition: partition === undefined ? undefined : Number(partition), offset },
          key: r.key,
          headers,
          value: r.value,
        };
      }),
    });
  });
}
