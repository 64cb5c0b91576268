import {
  notificationRulesSetSchema,
  PERSON_STREAM_PREFIX,
  personStream,
  toInstant,
  type Actor,
  type ContactSpec,
  type NotificationRules,
  type NotificationRulesSet,
  type QuietHours,
} from '@klaxon/domain';
import type { EventStore, Subscription } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';

export interface PersonalRulesView {
  rules: NotificationRules;
  quietHours: QuietHours | null;
  /** `config`: klaxon.yaml's (or none); `api`: set by the person, in place of klaxon.yaml's. */
  source: 'config' | 'api';
}

/**
 * Notification rules people set themselves (`PUT /api/v1/me/rules`), kept as `NotificationRulesSet` in
 * their `person-<name>` stream: the last one replaces klaxon.yaml's rules and quiet hours for that person.
 * This instance keeps each person's last one in memory from the store's subscription.
 */
export class PersonalRules {
  private readonly latest = new Map<string, NotificationRulesSet['data']>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: { store: EventStore; contacts: Record<string, ContactSpec>; clock: Clock; logger: Logger },
  ) {}

  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: PERSON_STREAM_PREFIX,
      onEvents: (batch) => {
        for (const { streamId, type, data } of batch) {
          if (type !== 'NotificationRulesSet') continue;
          const parsed = notificationRulesSetSchema.safeParse({ type, data });
          if (parsed.success) this.latest.set(streamId.slice(PERSON_STREAM_PREFIX.length), parsed.data.data);
        }
      },
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following notification rules in the store'),
    });
    await this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** The contacts as paging reads them: each person's own rules, where they set some, in place of klaxon.yaml's. */
  contacts(): Record<string, ContactSpec> {
    if (this.latest.size === 0) return this.deps.contacts;
    const contacts = { ...this.deps.contacts };
    for (const [person, set] of this.latest) {
      const contact = contacts[person];
      if (!contact) continue;
      const { quietHours: _yamlQuiet, ...rest } = contact;
      contacts[person] = {
        ...rest,
        rules: { ...(set.high ? { high: set.high } : {}), ...(set.low ? { low: set.low } : {}) },
        ...(set.quietHours ? { quietHours: set.quietHours } : {}),
      };
    }
    return contacts;
  }

  view(person: string): PersonalRulesView {
    const set = this.latest.get(person);
    if (set)
      return {
        rules: { ...(set.high ? { high: set.high } : {}), ...(set.low ? { low: set.low } : {}) },
        quietHours: set.quietHours ?? null,
        source: 'api',
      };
    const contact = this.deps.contacts[person];
    return { rules: contact?.rules ?? {}, quietHours: contact?.quietHours ?? null, source: 'config' };
  }

  async set(
    person: string,
    rules: NotificationRules,
    quietHours: QuietHours | undefined,
    actor: Actor,
  ): Promise<PersonalRulesView> {
    const event: NotificationRulesSet = {
      type: 'NotificationRulesSet',
      data: {
        ...(rules.high ? { high: rules.high } : {}),
        ...(rules.low ? { low: rules.low } : {}),
        ...(quietHours ? { quietHours } : {}),
        at: toInstant(this.deps.clock.now()),
        actor,
      },
    };
    const appended = await this.deps.store.append(personStream(person), [event], 'any');
    if (!appended.ok) throw new Error(`appending to ${personStream(person)} failed: ${appended.error.code}`);
    // Read back at once on this instance; the subscription brings it to the others.
    this.latest.set(person, event.data);
    return this.view(person);
  }
}
