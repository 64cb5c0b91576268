import type { Channel, IncidentState } from '@klaxon/domain';

/** A page intent on its way out: which incident's page, to whom, on which channel. */
export interface WaitingPage {
  incidentId: string;
  pageId: string;
  contact: string;
  channel: Channel;
  /** A contact method's address: throttled and bundled apart from the contact's other addresses. */
  to?: string;
}

/** A page with its incident as the stream stood at the last look before the provider call. */
export interface FreshPage {
  waiting: WaitingPage;
  incident: IncidentState | undefined;
}

export const pageKey = (w: Pick<WaitingPage, 'incidentId' | 'pageId'>) => `${w.incidentId}/${w.pageId}`;
