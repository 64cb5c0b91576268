import type { Actor, Role } from '@klaxon/domain';

/** An authenticated caller: who (a person, a service token) and what they may do. */
export interface Principal extends Actor {
  role: Role;
  /** The personal token that authenticated a person, to tell it apart in their list. */
  tokenId?: string;
  /** The console session that authenticated a person: its writes are checked against cross-site requests. */
  session?: { id: string; cookie: string };
}
