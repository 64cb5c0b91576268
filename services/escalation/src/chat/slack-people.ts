import type { WebClient } from '@slack/web-api';
import type { KlaxonConfig } from '@klaxon/config';
import type { Role } from '@klaxon/domain';

export interface SlackPerson {
  name: string;
  role: Role;
}

type Contacts = KlaxonConfig['contacts'];

/**
 * The person a Slack user is: the contact whose `slack` is the user's id, else the contact whose email is
 * the one in the user's Slack profile (`users.info`, scope `users:read.email`). Undefined: nobody here.
 */
export function slackPeople(contacts: Contacts, client: WebClient | undefined) {
  return async (userId: string): Promise<SlackPerson | undefined> => {
    const byId = Object.entries(contacts).find(([, c]) => c.slack === userId);
    if (byId) return { name: byId[0], role: byId[1].role };
    if (!client) return undefined;
    const info = await client.users.info({ user: userId }).catch(() => undefined);
    const email = info?.user?.profile?.email?.toLowerCase();
    if (!email) return undefined;
    const byEmail = Object.entries(contacts).find(([, c]) => c.email?.toLowerCase() === email);
    return byEmail ? { name: byEmail[0], role: byEmail[1].role } : undefined;
  };
}

export const howToLink = (userId: string): string =>
  `Klaxon does not know your Slack account (${userId}). Ask a Klaxon admin to add \`slack: ${userId}\` to your ` +
  'contact in klaxon.yaml, or to give your contact the email address of your Slack profile.';
