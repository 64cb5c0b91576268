import { DateTime } from 'luxon';
import type { Role } from '@klaxon/domain';
import { parseSmsTake } from '../acks/sms-take.ts';
import type { OverrideActions, TakeError } from './override-actions.ts';

const why = (error: TakeError): string => {
  switch (error.code) {
    case 'UnknownSchedule':
      return `there is no schedule "${error.schedule}"`;
    case 'NoSchedule':
      return 'you are a member of no schedule; name one, e.g. take 2h primary';
    case 'BadUntil':
      return `${error.reason}; e.g. take 2h or take until 08:00`;
    case 'UnknownPerson':
      return `there is no person "${error.person}"`;
    case 'UnknownOverride':
      return 'no such override';
    case 'NotAllowed':
    case 'Conflict':
      return error.reason;
    case 'EmptyWindow':
    case 'InThePast':
      return 'that time has passed already';
  }
};

/**
 * The answer to a text that asks to take the pager (`take 2h`, `take until 08:00`, `take 2h primary`), from
 * a known phone (an SMS: actor `phone`) or a Slack user mapped to a person (`/klaxon take 2h`: actor
 * `person`): that person goes on call, as if they had asked through the API, with their role. Any other
 * text is not this one's (`undefined`): an SMS goes on to the acknowledgement codes.
 */
export function takeReply(
  actions: OverrideActions,
  contacts: Record<string, { timezone: string; role: Role }>,
  kind: 'phone' | 'person',
) {
  return async (contactName: string, body: string): Promise<string | undefined> => {
    const take = parseSmsTake(body);
    if (!take) return undefined;
    const contact = contacts[contactName]!;
    const taken = await actions.take(take.schedule, take.until, { kind, name: contactName, role: contact.role });
    if (!taken.ok) return `Klaxon: not taken: ${why(taken.error)}.`;
    const end = DateTime.fromISO(taken.value.end, { zone: contact.timezone }).toFormat('ccc d LLL HH:mm');
    return `Klaxon: you are on call for ${taken.value.schedule} until ${end} (${contact.timezone}).`;
  };
}
