import type { Channel, ContactSpec } from '@klaxon/domain';
import type { Logger } from '@klaxon/service-kit';
import { addressed } from './method-address.ts';
import { NotifierError, type Notifier } from './notifier.ts';

export interface NoticeSenderDeps {
  notifiers: Record<Channel, Notifier>;
  contacts: Record<string, ContactSpec>;
  logger: Logger;
}

export type NoticeOutcome = { ok: true; channel: Channel; providerId: string } | { ok: false; error: string };

/**
 * Messages to a person outside an incident (a code to confirm a contact method, a notice that their shift
 * moved). A notice is no emergency: it goes once, on the person's first channel that can reach them (SMS
 * before email; never a call unless asked for), and its failure is the caller's to report, not retried.
 */
export function noticeSender(deps: NoticeSenderDeps) {
  const firstChannel = (contact: ContactSpec): Channel | undefined =>
    contact.phone ? 'sms' : contact.email ? 'email' : undefined;
  return {
    /** `address`: a contact method's own (a number or topic being verified), instead of the configured one. */
    async send(
      person: string,
      message: { subject: string; text: string },
      channel?: Channel,
      address?: string,
    ): Promise<NoticeOutcome> {
      const configured = deps.contacts[person];
      const contact = configured && channel && address ? addressed(configured, { channel, to: address }) : configured;
      if (!contact) return { ok: false, error: `${person} is not a contact` };
      const via = channel ?? firstChannel(contact);
      if (!via) return { ok: false, error: `${person} has no phone or email` };
      try {
        const sent = await deps.notifiers[via].sendNotice({ contactName: person, contact, ...message });
        deps.logger.info({ person, channel: via, providerId: sent.providerId }, 'notice sent');
        return { ok: true, channel: via, providerId: sent.providerId };
      } catch (error) {
        const reason = error instanceof NotifierError ? error.message : String(error);
        deps.logger.warn({ person, channel: via, err: reason }, 'notice not sent');
        return { ok: false, error: reason };
      }
    },
  };
}

export type NoticeSender = ReturnType<typeof noticeSender>;
