import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const LINK_LIFETIME_MS = 24 * 3_600_000;

const claimsSchema = z.object({ i: z.string(), c: z.string(), e: z.number().int(), n: z.string() });

export type AckLinkCheck =
  | { ok: true; incidentId: string; contact: string; ref: string }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export interface AckLinks {
  issue(incidentId: string, contact: string, now: Date): string;
  verify(token: string, now: Date): AckLinkCheck;
}

/**
 * Email acknowledgement links: HMAC-signed claims (incident, contact, expiry, nonce). Single use is kept by
 * the incident itself: the nonce is recorded with the acknowledgement and refused a second time.
 */
export function ackLinks(secret: string): AckLinks {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    issue(incidentId, contact, now) {
      const payload = Buffer.from(
        JSON.stringify({
          i: incidentId,
          c: contact,
          e: now.getTime() + LINK_LIFETIME_MS,
          n: randomBytes(9).toString('base64url'),
        }),
      ).toString('base64url');
      return `${payload}.${sign(payload)}`;
    },
    verify(token, now) {
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given))
        return { ok: false, reason: 'bad-signature' };
      let claims: z.infer<typeof claimsSchema>;
      try {
        claims = claimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (claims.e <= now.getTime()) return { ok: false, reason: 'expired' };
      return { ok: true, incidentId: claims.i, contact: claims.c, ref: `link:${claims.n}` };
    },
  };
}
