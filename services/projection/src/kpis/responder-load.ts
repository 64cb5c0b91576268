import { DateTime } from 'luxon';
import type { PageRow } from '../read-model/queries.ts';

/** Pages 22:00–07:00 in the responder's own time zone count as night pages. */
const isNight = (iso: string, zone: string) => {
  const hour = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).hour;
  return hour >= 22 || hour < 7;
};

export function responderLoad(pages: PageRow[], timezones: Record<string, string>) {
  const byContact = new Map<
    string,
    {
      contact: string;
      timezone: string;
      pages: number;
      nightPages: number;
      byChannel: Record<string, number>;
      failed: number;
    }
  >();
  for (const page of pages) {
    const timezone = timezones[page.contact] ?? 'UTC';
    const entry = byContact.get(page.contact) ?? {
      contact: page.contact,
      timezone,
      pages: 0,
      nightPages: 0,
      byChannel: {},
      failed: 0,
    };
    entry.pages++;
    if (isNight(page.requested_at, timezone)) entry.nightPages++;
    entry.byChannel[page.channel] = (entry.byChannel[page.channel] ?? 0) + 1;
    if (page.outcome === 'failed') entry.failed++;
    byContact.set(page.contact, entry);
  }
  return [...byContact.values()].sort((a, b) => b.pages - a.pages || a.contact.localeCompare(b.contact));
}
