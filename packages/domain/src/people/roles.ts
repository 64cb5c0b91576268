import { z } from 'zod';

/** Ordered: each role may do everything the one before it may. */
export const ROLES = ['viewer', 'responder', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const roleAtLeast = (held: Role, required: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(required);
