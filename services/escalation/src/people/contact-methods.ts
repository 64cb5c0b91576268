import { createHmac, randomBytes, randomInt } from 'node:crypto';
import {
  CONTACT_METHOD_EVENT_TYPES,
  contactMethodEventSchema,
  decideContactMethods,
  evolveContactMethods,
  PERSON_STREAM_PREFIX,
  personStream,
  toInstant,
  type Actor,
  type AddedMethod,
  type ContactMethodCommand,
  type ContactMethodError,
  type ContactMethodEvent,
  type ContactMethodsState,
  type ContactSpec,
  type MethodType,
  type PageableMethod,
  type Result,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent, Subscription } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { NoticeOutcome, NoticeSender } from '../paging/notices.ts';

/** A method as its person sees it: where it came from and whether it is paged. */
export interface MethodView {
  id: string;
  type: MethodType;
  to: string;
  /** `config`: written in klaxon.yaml (phone and email imply theirs); `api`: added by the person. */
  source: 'config' | 'api';
  verified: boolean;
  verifiedAt: string | null;
}

export type MethodOutcome<T = null> = Result<
  T,
  ContactMethodError | { code: 'ConfigMethod'; methodId: string } | { code: 'NotSent'; error: string }
>;

const MAX_APPEND_TRIES = 5;

const methodEventsOf = (recorded: RecordedEvent[]): Array<{ event: ContactMethodEvent; revision: number }> =>
  recorded.flatMap((e) => {
    if (!CONTACT_METHOD_EVENT_TYPES.has(e.type)) return [];
    const parsed = contactMethodEventSchema.safeParse({ type: e.type, data: e.data });
    return parsed.success ? [{ event: parsed.data, revision: e.revision }] : [];
  });

/** The methods klaxon.yaml gives a person: those written out, and those its phone and email imply. */
export function configMethods(contact: ContactSpec): PageableMethod[] {
  const implied: PageableMethod[] = [
    ...(contact.phone
      ? [
          { id: 'sms', type: 'sms' as const, to: contact.phone },
          { id: 'voice', type: 'voice' as const, to: contact.phone },
        ]
      : []),
    ...(contact.email ? [{ id: 'email', type: 'email' as const, to: contact.email }] : []),
  ];
  return [...implied, ...(contact.methods ?? [])];
}

/**
 * Contact methods people add themselves (console, CLI, API), kept as events in their `person-<name>` stream.
 * A method added here is paged only once verified: a 6-digit code goes to its address (as a notice) and
 * comes back through `confirm`. Methods written in klaxon.yaml count as verified. This instance keeps each
 * person's methods in memory from the store's subscription, which the rosters read when paging.
 */
export class ContactMethods {
  private readonly states = new Map<string, ContactMethodsState>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: {
      store: EventStore;
      contacts: Record<string, ContactSpec>;
      notices: NoticeSender;
      /** Keys the codes' hashes, so the store alone does not give a code away. */
      secret: string;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: PERSON_STREAM_PREFIX,
      onEvents: (batch) => {
        for (const { streamId, type, data } of batch) {
          if (!CONTACT_METHOD_EVENT_TYPES.has(type)) continue;
          const parsed = contactMethodEventSchema.safeParse({ type, data });
          if (!parsed.success) continue;
          const person = streamId.slice(PERSON_STREAM_PREFIX.length);
          this.states.set(person, evolveContactMethods(this.states.get(person) ?? {}, parsed.data));
        }
      },
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following contact methods in the store'),
    });
    await this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Verified methods the person added, as this instance last heard: what the rosters page besides the config's. */
  verified(person: string): PageableMethod[] {
    return Object.values(this.states.get(person) ?? {}).flatMap((m) =>
      m.verifiedAt ? [{ id: m.id, type: m.type, to: m.to }] : [],
    );
  }

  /**
   * Whose phone a number is: klaxon.yaml's phones and phone methods, then the phones people added and
   * verified. An unverified number is nobody's, so a stranger cannot add a number to act through it.
   */
  ownerOf(number: string): string | undefined {
    const isPhone = (m: PageableMethod) => (m.type === 'sms' || m.type === 'voice') && m.to === number;
    const configured = Object.entries(this.deps.contacts).find(([, c]) => configMethods(c).some(isPhone));
    if (configured) return configured[0];
    for (const [person] of this.states) if (this.verified(person).some(isPhone)) return person;
    return undefined;
  }

  async list(person: string): Promise<MethodView[]> {
    const contact = this.deps.contacts[person];
    const fromConfig: MethodView[] = (contact ? configMethods(contact) : []).map((m) => ({
      ...m,
      source: 'config',
      verified: true,
      verifiedAt: null,
    }));
    const { state } = await this.read(person);
    return [...fromConfig, ...Object.values(state).map(view)];
  }

  async add(person: string, type: MethodType, to: string, actor: Actor): Promise<MethodOutcome<MethodView>> {
    const methodId = `m_${randomBytes(6).toString('hex')}`;
    const done = await this.execute(person, {
      type: 'AddMethod',
      methodId,
      methodType: type,
      to,
      actor,
      at: this.now(),
    });
    if (!done.ok) return done;
    return { ok: true, value: view(done.value[methodId]!) };
  }

  /** Sends a new code to the method's address; the one before it no longer counts. */
  async sendCode(person: string, methodId: string): Promise<MethodOutcome> {
    if (this.isConfigMethod(person, methodId)) return { ok: false, error: { code: 'ConfigMethod', methodId } };
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const method = (await this.read(person)).state[methodId];
    if (!method) return { ok: false, error: { code: 'UnknownMethod', methodId } };
    const done = await this.execute(person, {
      type: 'SendCode',
      methodId,
      codeHash: this.hash(person, methodId, code),
      at: this.now(),
    });
    if (!done.ok) return done;
    const sent = await this.notify(person, method, {
      subject: 'Your Klaxon verification code',
      text: `Klaxon: your code is ${code}. It confirms this ${method.type} address for paging; it is good for 10 minutes.`,
    });
    return sent.ok ? { ok: true, value: null } : { ok: false, error: { code: 'NotSent', error: sent.error } };
  }

  async confirm(person: string, methodId: string, code: string): Promise<MethodOutcome> {
    if (this.isConfigMethod(person, methodId)) return { ok: false, error: { code: 'AlreadyVerified', methodId } };
    const done = await this.execute(person, {
      type: 'ConfirmCode',
      methodId,
      codeHash: this.hash(person, methodId, code),
      at: this.now(),
    });
    return done.ok ? { ok: true, value: null } : done;
  }

  async remove(person: string, methodId: string, actor: Actor): Promise<MethodOutcome> {
    if (this.isConfigMethod(person, methodId)) return { ok: false, error: { code: 'ConfigMethod', methodId } };
    const done = await this.execute(person, { type: 'RemoveMethod', methodId, actor, at: this.now() });
    return done.ok ? { ok: true, value: null } : done;
  }

  /** A test page to any one method, verified or not, so the person sees how a page reaches them. */
  async test(person: string, methodId: string): Promise<MethodOutcome> {
    const contact = this.deps.contacts[person];
    const method =
      (contact ? configMethods(contact) : []).find((m) => m.id === methodId) ??
      (await this.read(person)).state[methodId];
    if (!method) return { ok: false, error: { code: 'UnknownMethod', methodId } };
    const sent = await this.notify(person, method, {
      subject: 'Klaxon test page',
      text: `Klaxon test page to your ${method.type} ${method.to}. Nothing is wrong; no reply needed.`,
    });
    return sent.ok ? { ok: true, value: null } : { ok: false, error: { code: 'NotSent', error: sent.error } };
  }

  private notify(
    person: string,
    method: PageableMethod,
    message: { subject: string; text: string },
  ): Promise<NoticeOutcome> {
    return this.deps.notices.send(person, message, method.type, method.to);
  }

  private isConfigMethod(person: string, methodId: string): boolean {
    const contact = this.deps.contacts[person];
    return contact !== undefined && configMethods(contact).some((m) => m.id === methodId);
  }

  private hash(person: string, methodId: string, code: string): string {
    return createHmac('sha256', this.deps.secret)
      .update(`${person}\u0000${methodId}\u0000${code.trim()}`)
      .digest('hex');
  }

  private now() {
    return toInstant(this.deps.clock.now());
  }

  private async read(person: string): Promise<{ state: ContactMethodsState; revision: number | 'no_stream' }> {
    const recorded = await this.deps.store.readStream(personStream(person));
    let state: ContactMethodsState = {};
    for (const { event } of methodEventsOf(recorded)) state = evolveContactMethods(state, event);
    return { state, revision: recorded.at(-1)?.revision ?? 'no_stream' };
  }

  /**
   * Decides on the stream as it stands and appends at its revision, so two confirmations racing cannot
   * both get past the attempts limit; a lost race decides again on the newer stream.
   */
  private async execute(person: string, command: ContactMethodCommand): Promise<MethodOutcome<ContactMethodsState>> {
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.read(person);
      const decision = decideContactMethods(command, state);
      const events = decision.ok ? decision.value : decision.error.code === 'WrongCode' ? decision.error.record : [];
      if (events.length > 0) {
        const appended = await this.deps.store.append(personStream(person), events, revision);
        if (!appended.ok) {
          if (attempt < MAX_APPEND_TRIES) continue;
          throw new Error(`appending to ${personStream(person)} kept meeting other writes`);
        }
      }
      if (!decision.ok) return decision;
      return { ok: true, value: events.reduce(evolveContactMethods, state) };
    }
  }
}

const view = (m: AddedMethod): MethodView => ({
  id: m.id,
  type: m.type,
  to: m.to,
  source: 'api',
  verified: m.verifiedAt !== undefined,
  verifiedAt: m.verifiedAt ?? null,
});
