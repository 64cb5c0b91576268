import type { Channel, ContactSpec } from '@klaxon/domain';

/**
 * The contact as a notifier reads it for one page: a page to a contact method carries that method's
 * address, which stands in for the phone, email or push topic of klaxon.yaml.
 */
export function addressed(contact: ContactSpec, page: { channel: Channel; to?: string }): ContactSpec {
  if (page.to === undefined) return contact;
  switch (page.channel) {
    case 'sms':
    case 'voice':
      return { ...contact, phone: page.to };
    case 'email':
      return { ...contact, email: page.to };
    case 'push':
      return { ...contact, push: page.to };
  }
}
