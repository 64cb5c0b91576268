import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Which instance runs a follower until when, kept in the follower's own stream beside its position. An
 * instance takes it only at the stream's revision it has read, so of two instances taking it at once one
 * wins; `until` at or before now (a holder that stopped) leaves it to anyone.
 */
export const followerLeaseSchema = z.object({
  type: z.literal('FollowerLeased'),
  data: z.object({ holder: z.string().min(1), until: z.iso.datetime({ offset: true }) }),
});
export type FollowerLeased = z.infer<typeof followerLeaseSchema>;

/** How long a lease holds without being renewed: how long a dead holder's work waits for another instance. */
export const LEASE_MS = 30_000;

/** Names this process in the leases it takes (host and pid for people; the random part for tests in one process). */
export const newHolderName = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
