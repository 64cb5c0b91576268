import type { Channel } from '@klaxon/domain';
import type { Logger } from '@klaxon/service-kit';
import { NotifierError, type Notifier, type OutgoingPage, type Sent } from './notifier.ts';

export interface NamedNotifier {
  /** The provider's name as configuration lists it and `PageDelivered.provider` records it. */
  name: string;
  notifier: Notifier;
}

/**
 * A channel's providers in their configured order, behind the one Notifier interface: the first is tried
 * first, and a fault on a provider's side (an outage, a timeout, its account or capacity) sends the message
 * through the next one at once, not after the retry backoff. A refusal of the message itself ends the try:
 * another provider would refuse the same number. A page whose receipt failed with a provider goes around it.
 */
export function failoverNotifier(channel: Channel, providers: NamedNotifier[], logger: Logger): Notifier {
  if (providers.length === 0) throw new Error(`no provider for ${channel}`);
  const attempt = async (
    order: NamedNotifier[],
    send: (notifier: Notifier) => Promise<Sent>,
    context: Record<string, unknown>,
  ): Promise<Sent> => {
    const faults: NotifierError[] = [];
    for (const { name, notifier } of order) {
      try {
        const sent = await send(notifier);
        if (faults.length > 0) logger.info({ ...context, channel, provider: name }, 'carried by a later provider');
        return { ...sent, provider: name };
      } catch (error) {
        const fault = error instanceof NotifierError ? error : new NotifierError((error as Error).message, true);
        if (!fault.providerSide) throw fault;
        faults.push(fault);
        logger.warn({ ...context, channel, provider: name, err: fault.message }, 'provider failed; trying the next');
      }
    }
    throw combined(faults);
  };
  const aroundFailed = (page: OutgoingPage): NamedNotifier[] => {
    const failed = new Set(page.page.failedProviders ?? []);
    const others = providers.filter((p) => !failed.has(p.name));
    // Every provider failed it once: start over in order rather than not send at all.
    return others.length > 0 ? [...others, ...providers.filter((p) => failed.has(p.name))] : providers;
  };
  return {
    channel,
    send: (page) =>
      attempt(aroundFailed(page), (n) => n.send(page), {
        incidentId: page.incident.incidentId,
        pageId: page.page.pageId,
      }),
    sendBundle: (bundle) => attempt(providers, (n) => n.sendBundle(bundle), { bundle: bundle.number }),
    sendNotice: (notice) => attempt(providers, (n) => n.sendNotice(notice), { person: notice.contactName }),
  };
}

/** Every provider failed: the page is retried later if any of them may pass then, as soon as the earliest asks. */
function combined(faults: NotifierError[]): NotifierError {
  if (faults.length === 1) return faults[0]!;
  const retryable = faults.some((f) => f.retryable);
  const waits = faults.flatMap((f) => (f.retryable && f.retryAfterMs !== undefined ? [f.retryAfterMs] : []));
  return new NotifierError(
    faults.map((f) => f.message).join('; '),
    retryable,
    waits.length > 0 && waits.length === faults.filter((f) => f.retryable).length ? Math.min(...waits) : undefined,
  );
}
