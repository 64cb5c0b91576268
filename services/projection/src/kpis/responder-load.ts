import { DateTime } from 'luxon';
import type { PageRow } from '../read-model/queries.ts';

/** Pages 22:00–07:00 in the responder's own time zone count as night pages. */
const isNight = (iso: string, zone: string) => {
  const hour = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).hour;
  return hour >= 22 || hour < 7;
};

export interface ResponderLoad {
  contact: string;
  timezone: string;
  pages: number;
  nightPages: number;
  byChannel: Record<string, number>;
  failed: number;
  /** Incidents this person acknowledged first, as credited by the authenticated actor. */
  acknowledged: number;
  /** Incidents this person resolved. */
  resolved: number;
}

/**
 * Per person: the pages they received, and the incidents credited to them (`acknowledgedBy`,
 * `resolvedBy`: one name per incident, from the authenticated actor). Someone who answered without being
 * paged has a row with no pages.
 */
export function responderLoad(
  pages: PageRow[],
  timezones: Record<string, string>,
  credited: { acknowledgedBy: string[]; resolvedBy: string[] },
): ResponderLoad[] {
  const byContact = new Map<string, ResponderLoad>();
  const entry = (contact: string) => {
    const found = byContact.get(contact);
    if (found) return found;
    const fresh: ResponderLoad = {
      contact,
      timezone: timezones[contact] ?? 'UTC',
      pages: 0,
      nightPages: 0,
      byChannel: {},
      failed: 0,
      acknowledged: 0,
      resolved: 0,
    };
    byContact.set(contact, fresh);
    return fresh;
  };
  for (const page of pages) {
    const e = entry(page.contact);
    e.pages++;
    if (isNight(page.requested_at, e.timezone)) e.nightPages++;
    e.byChannel[page.channel] = (e.byChannel[page.channel] ?? 0) + 1;
    if (page.outcome === 'failed') e.failed++;
  }
  for (const person of credited.acknowledgedBy) entry(person).acknowledged++;
  for (const person of credited.resolvedBy) entry(person).resolved++;
  return [...byContact.values()].sort((a, b) => b.pages - a.pages || a.contact.localeCompare(b.contact));
}
