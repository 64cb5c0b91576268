import type { Channel } from '@klaxon/domain';
import { NotifierError, type Notifier, type Sent } from '../../paging/notifier.ts';
import type { Message } from './render.ts';

export type Outcome = Sent | NotifierError;

/** Stage 5, notify: the message to its channel's provider. Whatever the provider does becomes an outcome, never a throw. */
export async function notify(message: Message, notifiers: Record<Channel, Notifier>): Promise<Outcome> {
  if (message.kind === 'none') return message.reason;
  try {
    const notifier = notifiers[message.channel];
    return message.kind === 'page' ? await notifier.send(message.page) : await notifier.sendBundle(message.bundle);
  } catch (error) {
    return error instanceof NotifierError ? error : new NotifierError((error as Error).message, true);
  }
}
