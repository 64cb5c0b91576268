import { timingSafeEqual } from 'node:crypto';
import {
  PERSON_STREAM_PREFIX,
  personEventSchema,
  personalTokensOf,
  personStream,
  toInstant,
  type Actor,
  type PersonalToken,
  type PersonEvent,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent, Subscription } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import { hashToken, newPersonalToken, newTokenId, PERSONAL_TOKEN_PREFIX } from './token-secret.ts';

export const DEFAULT_TOKEN_TTL_MS = 90 * 86_400_000;

/** What a person sees of a token: never its hash. */
export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string;
  createdBy: Actor;
  revokedAt: string | null;
  lastUsedAt: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface CreatedToken {
  id: string;
  name: string;
  token: string;
  expiresAt: string;
}

const eventsOf = (recorded: RecordedEvent[]): PersonEvent[] =>
  recorded.flatMap((e) => {
    const parsed = personEventSchema.safeParse({ type: e.type, data: e.data });
    return parsed.success ? [parsed.data] : [];
  });

const dayOf = (instant: string) => instant.slice(0, 10);

/**
 * Personal tokens kept in the event store (`person-<name>` streams), so every instance of every service
 * sees the same ones. In memory there is only which person a token's hash belongs to (from the store's
 * subscription; on a miss, after catching up with it) and this instance's last uses; whether a token is
 * still valid is read from its person's stream at each use, so a revocation anywhere holds at once.
 */
export class PersonalTokens {
  private readonly owners = new Map<string, { person: string; id: string }>();
  /** The last use seen by this instance, exact; the store has it to the day (one `PersonalTokenUsed` a day). */
  private readonly lastUse = new Map<string, string>();
  private readonly usesWritten = new Map<string, string>();
  private subscription: Subscription | undefined;
  /** The newest `person-` event indexed, by the subscription or by a read on a miss. */
  private indexedUpTo: bigint | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = this.store.subscribe({
      streamPrefix: PERSON_STREAM_PREFIX,
      onEvents: (batch) => this.index(batch),
      onError: (error) => this.logger.error({ err: error }, 'stopped following personal tokens in the store'),
    });
    await this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  async create(person: string, name: string, ttlMs: number, actor: Actor): Promise<CreatedToken> {
    const token = newPersonalToken();
    const id = newTokenId();
    const now = this.clock.now();
    const expiresAt = toInstant(new Date(now.getTime() + ttlMs));
    const created: PersonEvent = {
      type: 'PersonalTokenCreated',
      data: { id, name, hash: hashToken(token), createdAt: toInstant(now), expiresAt, actor },
    };
    const appended = await this.store.append(personStream(person), [created], 'any');
    if (!appended.ok) throw new Error(`appending to ${personStream(person)} failed: ${appended.error.code}`);
    return { id, name, token, expiresAt };
  }

  async list(person: string): Promise<TokenView[]> {
    const now = toInstant(this.clock.now());
    return (await this.tokensOf(person)).map((t) => {
      const mine = this.lastUse.get(t.id);
      const lastUsedAt =
        [mine, t.lastUsedAt]
          .filter((x) => x !== undefined)
          .sort()
          .at(-1) ?? null;
      return {
        id: t.id,
        name: t.name,
        createdAt: t.createdAt,
        expiresAt: t.expiresAt,
        createdBy: t.createdBy,
        revokedAt: t.revokedAt ?? null,
        lastUsedAt,
        state: t.revokedAt ? 'revoked' : t.expiresAt <= now ? 'expired' : 'active',
      };
    });
  }

  /** `false` when the person has no such token; revoking twice keeps the first revocation. */
  async revoke(person: string, id: string, actor: Actor): Promise<boolean> {
    const token = (await this.tokensOf(person)).find((t) => t.id === id);
    if (!token) return false;
    if (token.revokedAt) return true;
    const revoked: PersonEvent = { type: 'PersonalTokenRevoked', data: { id, at: toInstant(this.clock.now()), actor } };
    const appended = await this.store.append(personStream(person), [revoked], 'any');
    if (!appended.ok) throw new Error(`appending to ${personStream(person)} failed: ${appended.error.code}`);
    return true;
  }

  /** The person and token a presented personal token is, if it is one, not revoked and not expired. */
  async verify(presented: string): Promise<{ person: string; id: string } | undefined> {
    if (!presented.startsWith(PERSONAL_TOKEN_PREFIX)) return undefined;
    const hash = hashToken(presented);
    let owner = this.owners.get(hash);
    // Created a moment ago, maybe by another instance: the subscription may not have brought it yet.
    if (!owner) {
      await this.readNewer();
      owner = this.owners.get(hash);
    }
    if (!owner) return undefined;
    const token = (await this.tokensOf(owner.person)).find((t) => t.id === owner.id);
    const now = toInstant(this.clock.now());
    if (!token || !sameHash(token.hash, hash) || token.revokedAt || token.expiresAt <= now) return undefined;
    this.noteUse(owner.person, owner.id, now);
    return owner;
  }

  private index(batch: RecordedEvent[]) {
    for (const recorded of batch) {
      const [event] = eventsOf([recorded]);
      if (event?.type === 'PersonalTokenCreated')
        this.owners.set(event.data.hash, {
          person: recorded.streamId.slice(PERSON_STREAM_PREFIX.length),
          id: event.data.id,
        });
      if (this.indexedUpTo === undefined || recorded.position > this.indexedUpTo) this.indexedUpTo = recorded.position;
    }
  }

  /** Indexes the person events the subscription has not brought yet, without waiting for its next poll. */
  private async readNewer() {
    for (;;) {
      const batch = await this.store.readAll({
        after: this.indexedUpTo,
        limit: 500,
        streamPrefix: PERSON_STREAM_PREFIX,
      });
      if (batch.length === 0) return;
      this.index(batch);
    }
  }

  private async tokensOf(person: string): Promise<PersonalToken[]> {
    return personalTokensOf(eventsOf(await this.store.readStream(personStream(person))));
  }

  private noteUse(person: string, id: string, at: string) {
    this.lastUse.set(id, at);
    if (this.usesWritten.get(id) === dayOf(at)) return;
    this.usesWritten.set(id, dayOf(at));
    const used: PersonEvent = { type: 'PersonalTokenUsed', data: { id, at } };
    // Losing this write loses a day's "last used" at worst: the request it came with goes on regardless.
    this.store
      .append(personStream(person), [used], 'any')
      .then((appended) => {
        if (!appended.ok) this.usesWritten.delete(id);
      })
      .catch((error: unknown) => {
        this.usesWritten.delete(id);
        this.logger.warn({ err: error, person, tokenId: id }, 'writing down a personal token use failed');
      });
  }
}

const sameHash = (a: string, b: string) => timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
