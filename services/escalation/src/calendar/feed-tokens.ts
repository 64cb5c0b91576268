import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
  private nonces = new Map<string, string>();

  /** `secret` (the link secret) derives a token from its nonce: the store alone cannot. */
  constructor(private readonly deps: { store: EventStore; clock: Clock; secret: string }) {}

  /**
   * A new token for the person, replacing any other. It is an HMAC of a random nonce, so the server can show
   * the person's feed URL again (`GET /api/v1/me`) while the store keeps only the nonce and the hash.
   */
  async issue(person: string, actor: Actor): Promise<string> {
    const nonce = randomBytes(16).toString('base64url');
    const token = this.derive(person, nonce);
    await this.append({ type: 'FeedTokenIssued', data: { person, hash: hash(token), nonce, actor, at: this.now() } });
    return token;
  }

  /**
   * The person's active token, when there is one the server can derive again (not one issued under another
   * link secret: its hash would not match, and a URL that answers 401 is no answer).
   */
  async tokenOf(person: string): Promise<string | undefined> {
    await this.catchUp();
    const nonce = this.nonces.get(person);
    if (nonce === undefined) return undefined;
    const token = this.derive(person, nonce);
    return this.active.get(person) === hash(token) ? token : undefined;
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

  private derive(person: string, nonce: string): string {
    const mac = createHmac('sha256', this.deps.secret).update(`calendar-feed\n${person}\n${nonce}`);
    return `${FEED_TOKEN_PREFIX}${mac.digest('base64url')}`;
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
      if (parsed.success) {
        this.events.push(parsed.data);
        if (parsed.data.type === 'FeedTokenIssued' && parsed.data.data.nonce !== undefined)
          this.nonces.set(parsed.data.data.person, parsed.data.data.nonce);
        else this.nonces.delete(parsed.data.data.person);
      }
      this.revision = r.revision;
    }
    this.active = activeFeedTokens(this.events);
  }
}
