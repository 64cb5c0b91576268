import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer API tokens from `api.tokens`, compared in constant time. */
export function apiAuth(tokens: string[]) {
  const known = tokens.map(digest);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    const candidate = presented ? digest(presented) : undefined;
    const allowed = candidate !== undefined && known.reduce((found, k) => timingSafeEqual(k, candidate) || found, false);
    if (!allowed) return reply.code(401).send({ error: 'missing or unknown API token (Authorization: Bearer <token>)' });
  };
}
