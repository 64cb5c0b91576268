import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { IncidentState } from '@klaxon/domain';

/** How long a link keeps working once its incident is resolved: long enough for a late reader to see it. */
export const ONE_TAP_AFTER_RESOLUTION_MS = 24 * 3_600_000;

const claimsSchema = z.object({ i: z.string().min(1), p: z.string().min(1) });

export type Capability = { incidentId: string; person: string };
export type CapabilityCheck =
  { ok: true; capability: Capability } | { ok: false; reason: 'malformed' | 'bad-signature' };

export interface OneTapLinks {
  /** `<publicUrl>/i/<capability>` for this person and this incident. */
  url(incidentId: string, person: string): string;
  verify(capability: string): CapabilityCheck;
}

/**
 * A page's link as a capability: the incident and the person, HMAC-signed with the link secret (the same on
 * every instance), under its own label so that no other signed thing of Klaxon's passes for one. It carries
 * no expiry of its own: how long it works is read from the incident when it is used.
 */
export function oneTapLinks(secret: string, publicUrl: string): OneTapLinks {
  const sign = (payload: string) => createHmac('sha256', secret).update(`one-tap\0${payload}`).digest('base64url');
  return {
    url(incidentId, person) {
      const payload = Buffer.from(JSON.stringify({ i: incidentId, p: person })).toString('base64url');
      return `${publicUrl}/i/${payload}.${sign(payload)}`;
    },
    verify(capability) {
      const [payload, signature, extra] = capability.split('.');
      if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
      const [given, expected] = [Buffer.from(signature), Buffer.from(sign(payload))];
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, reason: 'bad-signature' };
      let claims: z.infer<typeof claimsSchema>;
      try {
        claims = claimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      return { ok: true, capability: { incidentId: claims.i, person: claims.p } };
    },
  };
}

/** Whether a link to this incident has run out: a day after the incident was resolved. */
export const oneTapExpired = (state: IncidentState & { exists: true }, now: Date): boolean =>
  state.status === 'resolved' &&
  state.resolved !== undefined &&
  Date.parse(state.resolved.at) + ONE_TAP_AFTER_RESOLUTION_MS <= now.getTime();
