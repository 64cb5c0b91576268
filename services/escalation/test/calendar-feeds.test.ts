import ICAL from 'ical.js';
import { applyConfigInPlace, type KlaxonConfig } from '@klaxon/config';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_URL, startEscalation, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

/** A daily Berlin rotation of alice and bob, handing off at 09:00 local; tom covers one evening. */
const berlinRotation = (): KlaxonConfig => {
  const base = testConfig();
  return {
    ...base,
    schedules: {
      primary: {
        timezone: 'Europe/Berlin',
        rotation: 'daily',
        handoff: '09:00',
        handoffDay: 'monday',
        start: '2027-03-01',
        members: ['alice', 'bob'],
        overrides: [{ contact: 'tom', from: '2027-03-24T17:00:00.000Z', to: '2027-03-24T22:00:00.000Z' }],
      },
    },
  };
};

interface FeedEvent {
  summary: string;
  start: string;
  end: string;
  transp: unknown;
}

/** The feed parsed back with ical.js, a real iCalendar library (not the one that wrote it). */
function parseFeed(text: string): FeedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text) as unknown[]);
  return calendar.getAllSubcomponents('vevent').map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      transp: vevent.getFirstPropertyValue('transp'),
    };
  });
}

const local = (url: string, h: Harness) => `${h.base}${url.slice(PUBLIC_URL.length)}`;

/** alice's own token, handed over by an admin, then her calendar token made with it. */
async function alicesFeed(h: Harness) {
  const { token } = (await h.api('POST', '/api/v1/people/alice/tokens', { name: 'laptop' })).json;
  const made = await fetch(`${h.base}/api/v1/me/calendar-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(made.status).toBe(201);
  return {
    personal: token as string,
    ...((await made.json()) as { token: string; calendarUrl: string; schedules: Record<string, string> }),
  };
}

describe('calendar feeds: who is on call, in any calendar application', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('the schedule feed, parsed back with ical.js, has the on-call API shifts for the same range: the DST change (a 23 h shift), the override of klaxon.yaml and one made through the API included, all marked free', async () => {
    h = await startEscalation({ config: berlinRotation(), start: '2027-03-20T10:00:00Z' });
    // An override made through the API (the stream schedule-primary), not in klaxon.yaml.
    const override = await h.api('POST', '/api/v1/schedules/primary/overrides', {
      start: '2027-03-29T12:00:00Z',
      end: '2027-03-29T18:00:00Z',
      person: 'bob',
      reason: 'swap',
    });
    expect(override.status).toBe(201);
    const feed = await alicesFeed(h);
    const answer = await fetch(local(feed.schedules.primary!, h));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/calendar/);
    const events = parseFeed(await answer.text());

    const oncall = (await h.api('GET', '/api/v1/oncall?days=14')).json;
    const { at, until } = oncall;
    const shifts: Array<{ contact: string; from: string; to: string }> = oncall.schedules[0].shifts;
    // The API cuts the first and last shifts at its range; the feed has them whole.
    const whole = shifts.filter((s) => s.from > at && s.to < until);
    const inRange = events.filter((e) => e.start >= whole[0]!.from && e.end <= whole.at(-1)!.to);
    expect(inRange.map((e) => ({ contact: e.summary.split(' ')[0], from: e.start, to: e.end }))).toEqual(
      whole.map(({ contact, from, to }) => ({ contact, from, to })),
    );
    expect(inRange.map((e) => e.summary)).toContain('tom on call (primary)');
    expect(inRange).toContainEqual(
      expect.objectContaining({
        summary: 'bob on call (primary)',
        start: '2027-03-29T12:00:00.000Z',
        end: '2027-03-29T18:00:00.000Z',
      }),
    );
    // Saturday 27 March 09:00 CET → Sunday 28 March 09:00 CEST (the clocks go forward at 02:00): 23 hours.
    expect(inRange).toContainEqual(
      expect.objectContaining({ start: '2027-03-27T08:00:00.000Z', end: '2027-03-28T07:00:00.000Z' }),
    );
    expect(new Set(events.map((e) => e.transp))).toEqual(new Set(['TRANSPARENT']));
    // Twelve months ahead: daily shifts (and the override's pieces) reach into March 2028.
    expect(events.at(-1)!.start >= '2028-03-18').toBe(true);
  });

  it("a person's feed has only their shifts, on every schedule, an API override included; their token does not open another person's feed", async () => {
    h = await startEscalation({ config: berlinRotation(), start: '2027-03-20T10:00:00Z' });
    // 22 March is bob's day (alice has the 21st and the 23rd); alice covers an afternoon of it.
    expect(
      (
        await h.api('POST', '/api/v1/schedules/primary/overrides', {
          start: '2027-03-22T12:00:00Z',
          end: '2027-03-22T15:00:00Z',
          person: 'alice',
        })
      ).status,
    ).toBe(201);
    const feed = await alicesFeed(h);
    const events = parseFeed(await (await fetch(local(feed.calendarUrl, h))).text());
    expect(events.length).toBeGreaterThan(150);
    expect(new Set(events.map((e) => e.summary))).toEqual(new Set(['On call: primary']));
    expect(events).toContainEqual(
      expect.objectContaining({ start: '2027-03-22T12:00:00.000Z', end: '2027-03-22T15:00:00.000Z' }),
    );
    const bobsUrl = `${h.base}/api/v1/people/bob/calendar.ics?token=${feed.token}`;
    const bobs = await fetch(bobsUrl);
    expect(bobs.status).toBe(403);
    expect(await bobs.text()).not.toContain('BEGIN:VCALENDAR');
    // bob's own token opens his.
    const { token: bobsPersonal } = (await h.api('POST', '/api/v1/people/bob/tokens', { name: 'phone' })).json;
    const bobsFeed = (await (
      await fetch(`${h.base}/api/v1/me/calendar-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bobsPersonal}` },
      })
    ).json()) as { calendarUrl: string };
    const his = parseFeed(await (await fetch(local(bobsFeed.calendarUrl, h))).text());
    expect(his.length).toBeGreaterThan(150);
    expect(his.some((b) => events.some((a) => a.start === b.start))).toBe(false);
  });

  it('calendarUrl in GET /api/v1/me and GET /api/v1/schedules/:name is the caller’s own feed URL with their token, null without one', async () => {
    h = await startEscalation({ config: berlinRotation(), start: '2027-03-20T10:00:00Z' });
    const { token: personal } = (await h.api('POST', '/api/v1/people/alice/tokens', { name: 'laptop' })).json;
    const as = async (path: string) =>
      (await (await fetch(`${h.base}${path}`, { headers: { authorization: `Bearer ${personal}` } })).json()) as {
        calendarUrl: string | null;
      };
    expect((await as('/api/v1/me')).calendarUrl).toBeNull();
    expect((await as('/api/v1/schedules/primary')).calendarUrl).toBeNull();
    const made = (await (
      await fetch(`${h.base}/api/v1/me/calendar-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${personal}` },
      })
    ).json()) as { calendarUrl: string; schedules: Record<string, string> };
    expect((await as('/api/v1/me')).calendarUrl).toBe(made.calendarUrl);
    expect((await as('/api/v1/schedules/primary')).calendarUrl).toBe(made.schedules.primary);
    expect((await fetch(local((await as('/api/v1/me')).calendarUrl!, h))).status).toBe(200);
    // A service token is no person: it has no feed.
    expect((await h.api('GET', '/api/v1/me')).json.calendarUrl).toBeNull();
    expect((await h.api('GET', '/api/v1/schedules/primary')).json.calendarUrl).toBeNull();
    await fetch(`${h.base}/api/v1/me/calendar-token`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${personal}` },
    });
    expect((await as('/api/v1/me')).calendarUrl).toBeNull();
    expect((await fetch(local(made.calendarUrl, h))).status).toBe(401);
  });

  it('a revoked or replaced feed token opens nothing; an API token is no feed token; a service token has no feed', async () => {
    h = await startEscalation({ config: berlinRotation(), start: '2027-03-20T10:00:00Z' });
    const first = await alicesFeed(h);
    const replaced = await fetch(`${h.base}/api/v1/me/calendar-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.personal}` },
    });
    const second = (await replaced.json()) as { calendarUrl: string };
    expect((await fetch(local(first.calendarUrl, h))).status).toBe(401);
    expect((await fetch(local(second.calendarUrl, h))).status).toBe(200);
    const revoked = await fetch(`${h.base}/api/v1/me/calendar-token`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${first.personal}` },
    });
    expect(revoked.status).toBe(204);
    expect((await fetch(local(second.calendarUrl, h))).status).toBe(401);
    expect((await fetch(`${h.base}/api/v1/schedules/primary/calendar.ics?token=${first.personal}`)).status).toBe(401);
    expect((await fetch(`${h.base}/api/v1/schedules/primary/calendar.ics`)).status).toBe(401);
    expect((await h.api('POST', '/api/v1/me/calendar-token')).status).toBe(403);
  });

  it('a feed token stops opening feeds when a reload takes its person out of contacts', async () => {
    const config = berlinRotation();
    h = await startEscalation({ config, start: '2027-03-20T10:00:00Z' });
    const alice = await alicesFeed(h);
    expect((await fetch(local(alice.calendarUrl, h))).status).toBe(200);
    expect((await fetch(local(alice.schedules.primary!, h))).status).toBe(200);
    // The next file, as a reload applies it: alice has left (her contact and her place in the rotation).
    const next = berlinRotation();
    delete next.contacts.alice;
    next.schedules.primary!.members = ['bob'];
    applyConfigInPlace(config, next);
    expect((await fetch(local(alice.calendarUrl, h))).status).toBe(401);
    expect((await fetch(local(alice.schedules.primary!, h))).status).toBe(401);
  });
});
