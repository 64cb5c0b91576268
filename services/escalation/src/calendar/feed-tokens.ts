import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  activeFeedTokens,
  FEED_TOKENS_STREAM,
  feedTokenEventSchema,
  toInstant,
  type Actor,
  type FeedTokenEvent,
} from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock } from '@klaxon/service-kit';

/** Feed tokens open calendar feeds and nothing else: a prefix of their own, never taken for an API token. */
export const FEED_TOKEN_PREFIX = 'kxf_';
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Calendar feed tokens in the store. A calendar application keeps the feed URL for good and fetches it
 * every few hours, so the token is the URL's only secret: revoking it (or issuing a new one) shuts the old
 * URL at once, on every instance, because each use reads what the stream has appended since.
 */
export class FeedTokens {
  private events: FeedTokenEvent[] = [];
  private revision = -1;
  private active = new Map<string, string>();

  constructor(private readonly deps: { store: EventStore; clock: Clock }) {}

  /** A new token for the person, replacing any other. Shown once. */
  async issue(person: string, actor: Actor): Promise<string> {
    const token = `${FEED_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.append({ type: 'FeedTokenIssued', data: { person, hash: hash(token), actor, at: this.now() } });
    return token;
  }

  /** `false` when the person had no active token. */
  async revoke(person: string, actor: Actor): Promise<boolean> {
    await this.catchUp();
    if (!this.active.has(person)) return false;
    await this.append({ type: 'FeedTokenRevoked', data: { person, actor, at: this.now() } });
    return true;
  }

  /** The person whose active feed token this is. */
  async verify(presented: string | undefined): Promise<string | undefined> {
    if (!presented?.startsWith(FEED_TOKEN_PREFIX)) return undefined;
    await this.catchUp();
    const presentedHash = Buffer.from(hash(presented), 'hex');
    for (const [person, stored] of this.active)
      if (timingSafeEqual(Buffer.from(stored, 'hex'), presentedHash)) return person;
    return undefined;
  }

  private now() {
    return toInstant(this.deps.clock.now());
  }

  private async append(event: FeedTokenEvent): Promise<void> {
    const appended = await this.deps.store.append(FEED_TOKENS_STREAM, [{ type: event.type, data: event.data }], 'any');
    if (!appended.ok) throw new Error(`appending to ${FEED_TOKENS_STREAM} failed: ${appended.error.code}`);
    await this.catchUp();
  }

  private async catchUp(): Promise<void> {
    const recorded = await this.deps.store.readStream(FEED_TOKENS_STREAM, this.revision + 1);
    if (recorded.length === 0) return;
    for (const r of recorded) {
      const parsed = feedTokenEventSchema.safeParse({ type: r.type, data: r.data });
      if (parsed.success) this.events.push(parsed.data);
      this.revision = r.revision;
    }
    this.active = activeFeedTokens(this.events);
  }
}
