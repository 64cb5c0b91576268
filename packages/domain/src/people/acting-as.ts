import { err, ok, type Result } from '../result.ts';
import type { Actor } from './actor.ts';
import { roleAtLeast, type Role } from './roles.ts';

export interface ActingAs {
  /** Whom the command is credited to: the actor, or the person an admin acted for. */
  by: string;
  actor: Actor;
  onBehalfOf?: string;
}

/**
 * Who a command is recorded as, from the authenticated actor and the name a request gave (`by`). Naming
 * someone else is an admin's right only, and then recorded as acting on their behalf.
 */
export function actingAs(actor: Actor & { role: Role }, by: string | undefined): Result<ActingAs, 'NotYours'> {
  const who = { kind: actor.kind, name: actor.name };
  if (by === undefined || by === actor.name) return ok({ by: actor.name, actor: who });
  if (!roleAtLeast(actor.role, 'admin')) return err('NotYours');
  return ok({ by, actor: who, onBehalfOf: by });
}
