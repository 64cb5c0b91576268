import type { Channel, ContactSpec, PagePurpose, PageState } from '@klaxon/domain';
import type { OneTapLinks } from '../../acks/one-tap-links.ts';
import { addressed } from '../../paging/method-address.ts';
import { NotifierError, type OutgoingBundle, type OutgoingPage } from '../../paging/notifier.ts';
import type { FreshPage, WaitingPage } from '../waiting-page.ts';

const PURPOSE_RANK: Record<PagePurpose, number> = { escalation: 0, 'status-update': 1, resolution: 2 };

export interface RenderDeps {
  contacts: Record<string, ContactSpec>;
  publicUrl: string;
  oneTapLinks: OneTapLinks;
}

/** What goes to the provider: one incident's page, a bundle of several incidents' pages, or nothing and why. */
export type Message =
  | { kind: 'page'; channel: Channel; page: OutgoingPage }
  | { kind: 'bundle'; channel: Channel; bundle: OutgoingBundle }
  | { kind: 'none'; channel: Channel; reason: NotifierError };

export interface Rendered {
  message: Message;
  /** Every page of the group with the page state it went out as (undefined when its incident is gone): each gets the outcome. */
  pages: Array<{ waiting: WaitingPage; page: PageState | undefined }>;
  /** The bundle's reply code, when the message is a bundle. */
  bundle: number | undefined;
}

/**
 * Stage 4, render: the group's pages become one message. Pages of one incident go out as its single page,
 * most important first (an escalation page speaks for the reminder or notice of its incident); pages of
 * several incidents go out as a bundle with its own reply code.
 */
export function render(pages: FreshPage[], bundleNumber: number | undefined, deps: RenderDeps): Rendered {
  const first = pages[0]!.waiting;
  // A page to a contact method goes to that method's address, in place of klaxon.yaml's phone or email.
  const known = deps.contacts[first.contact];
  const contact = known && addressed(known, first);
  const outgoing = pages.map((p) => ({ waiting: p.waiting, out: known && outgoingPage(p, known, deps) }));
  const ready = outgoing
    .flatMap((p) => (p.out ? [p.out] : []))
    .sort((a, b) => PURPOSE_RANK[a.page.purpose] - PURPOSE_RANK[b.page.purpose]);
  const incidents = new Set(ready.map((p) => p.incident.incidentId)).size;
  const bundle = incidents > 1 ? bundleNumber : undefined;
  const all = outgoing.map(({ waiting, out }) => ({ waiting, page: out?.page }));
  const channel = first.channel;
  if (!contact) {
    const reason = new NotifierError(`contact ${first.contact} is no longer in the configuration`, false);
    return { message: { kind: 'none', channel, reason }, pages: all, bundle };
  }
  if (ready.length === 0)
    return {
      message: { kind: 'none', channel, reason: new NotifierError('the incident is no longer known', false) },
      pages: all,
      bundle,
    };
  if (bundle === undefined) return { message: { kind: 'page', channel, page: ready[0]! }, pages: all, bundle };
  return {
    message: {
      kind: 'bundle',
      channel,
      bundle: {
        number: bundle,
        contactName: first.contact,
        contact,
        pages: ready,
        links: { incidents: `${deps.publicUrl}/` },
      },
    },
    pages: all,
    bundle,
  };
}

function outgoingPage(
  { waiting, incident }: FreshPage,
  known: ContactSpec,
  deps: RenderDeps,
): OutgoingPage | undefined {
  const page = incident?.exists ? incident.pages[waiting.pageId] : undefined;
  if (!incident?.exists || !page) return undefined;
  const contact = addressed(known, page);
  // The page's link is the person's one-tap link to the incident; `api` is for tools that read the page.
  const links = {
    incident: deps.oneTapLinks.url(waiting.incidentId, waiting.contact),
    api: `${deps.publicUrl}/api/v1/incidents/${waiting.incidentId}`,
  };
  return { page, incident, contactName: waiting.contact, contact, links };
}
