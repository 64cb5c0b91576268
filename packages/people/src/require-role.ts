import type { RequestHandler, Response } from 'express';
import { roleAtLeast, type Role } from '@klaxon/domain';
import type { Authenticator } from './authenticator.ts';
import { crossSiteRefusal, isWrite } from './csrf.ts';
import type { Principal } from './principal.ts';

/** Admits a request whose credentials carry at least `role`; the caller is then `principalOf(res)`. */
export function requireRole(auth: Authenticator, role: Role): RequestHandler {
  return async (req, res, next) => {
    const principal = await auth.authenticateRequest(req.headers);
    if (!principal)
      return void res.status(401).json({
        error: 'missing, unknown, revoked or expired token (Authorization: Bearer <token>) or session',
      });
    // Only a cookie is sent by the browser on its own: Bearer calls cannot be forged cross-site.
    const crossSite =
      principal.session && isWrite(req.method)
        ? crossSiteRefusal(req.headers, principal.session.cookie, auth.publicOrigin)
        : undefined;
    if (crossSite) return void res.status(403).json({ error: crossSite, required: 'same-origin' });
    if (!roleAtLeast(principal.role, role))
      return void res
        .status(403)
        .json({ error: `${principal.name} is a ${principal.role}; this needs the ${role} role`, required: role });
    res.locals.principal = principal;
    next();
  };
}

export const principalOf = (res: Response): Principal => res.locals.principal as Principal;
