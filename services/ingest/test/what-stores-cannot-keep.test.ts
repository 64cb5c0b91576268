import { afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, EVENTS_TOKEN, fixture, post, startIngest, type IngestHarness } from './support/ingest-harness.ts';

const firing = fixture('alertmanager-0.25-firing.json');
const [sample] = firing.alerts as Array<Record<string, unknown>>;
const auth = { authorization: `Bearer ${AM_TOKEN}` };
const notification = (alerts: Array<Record<string, unknown>>) => ({ ...firing, alerts });
const alert = (fingerprint: string, change: Record<string, unknown> = {}) => ({ ...sample, fingerprint, ...change });
const trigger = (payload: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  routing_key: EVENTS_TOKEN,
  event_action: 'trigger',
  dedup_key: 'checkout-down',
  payload: { summary: 'Checkout down', source: 'synthetics', severity: 'critical', ...payload },
  ...extra,
});
const metric = async (ingest: IngestHarness, name: string) =>
  (await (await fetch(`${ingest.base}/metrics`)).text()).split('\n').filter((line) => line.startsWith(name));

let ingest: IngestHarness;
afterEach(async () => ingest?.close());

describe('text no store can keep', () => {
  it('a NUL or a lone surrogate anywhere in an alert is replaced by U+FFFD, counted, and the alert taken', async () => {
    ingest = await startIngest();
    const response = await post(
      ingest.base,
      '/api/v1/alertmanager',
      notification([
        alert('f\u0000p', {
          labels: {
            alertname: 'Disk\u0000Full',
            'inst\ud800ance': 'db-1',
            ok: 'plain',
            rtl: '\u202eevil',
            emoji: '🔥',
          },
          annotations: { summary: 'full \udc00 disk' },
        }),
      ]),
      auth,
    );
    expect(response.status).toBe(202);
    const [taken] = await ingest.alerts(1);
    expect(taken).toMatchObject({
      fingerprint: 'f\ufffdp',
      labels: { alertname: 'Disk\ufffdFull', 'inst\ufffdance': 'db-1', ok: 'plain', rtl: '\u202eevil', emoji: '🔥' },
      annotations: { summary: 'full \ufffd disk' },
    });
    expect(await metric(ingest, 'klaxon_ingest_text_replaced_total')).toEqual([
      'klaxon_ingest_text_replaced_total{integration="alertmanager",service="ingest"} 4',
    ]);
  });

  it("in a generic event's dedup_key, summary and custom_details keys and values, the same", async () => {
    ingest = await startIngest();
    const response = await post(
      ingest.base,
      '/api/v1/events',
      trigger(
        { summary: 'down\u0000', custom_details: { 'k\ud800': { inner: 'v\udfff' } } },
        { dedup_key: 'key\u0000' },
      ),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ dedup_key: 'key\ufffd' });
    const [taken] = await ingest.alerts(1);
    expect(taken).toMatchObject({
      fingerprint: 'key\ufffd',
      groupKey: 'key\ufffd',
      labels: { 'k\ufffd.inner': 'v\ufffd', summary: 'down\ufffd' },
      annotations: { summary: 'down\ufffd' },
    });
  });

  it('a body in UTF-16, which can carry a lone surrogate without an escape, is cleaned too', async () => {
    ingest = await startIngest();
    const text = JSON.stringify(notification([alert('utf16', { labels: { alertname: 'X', raw: 'RAW' } })]));
    const response = await fetch(`${ingest.base}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json; charset=utf-16le' },
      body: Buffer.from(text.replace('RAW', 'a\ud800b'), 'utf16le'),
    });
    expect(response.status).toBe(202);
    expect((await ingest.alerts(1))[0]!.labels.raw).toBe('a\ufffdb');
  });
});

describe('instants no store can hold', () => {
  it('an alert whose start is past year 9999 once in UTC is refused alone; its siblings are taken', async () => {
    ingest = await startIngest();
    const response = await post(
      ingest.base,
      '/api/v1/alertmanager',
      notification([
        alert('late', { startsAt: '9999-12-31T23:59:59-12:00' }),
        alert('early', { startsAt: '0001-01-01T00:00:00+14:00' }),
        alert('ends-late', { status: 'resolved', endsAt: '9999-12-31T23:59:59-12:00' }),
        alert('east', { startsAt: '2026-11-23T10:00:00+14:00' }),
        alert('west', { startsAt: '0000-12-31T23:00:00-14:00' }),
        alert('last-instant', { startsAt: '9999-12-31T23:59:59.999Z' }),
      ]),
      auth,
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 3,
      groupKey: firing.groupKey,
      refused: [
        { index: 0, path: 'alerts.0.startsAt', message: expect.stringContaining('0001–9999') },
        { index: 1, path: 'alerts.1.startsAt', message: expect.stringContaining('0001–9999') },
        { index: 2, path: 'alerts.2.endsAt', message: expect.stringContaining('0001–9999') },
      ],
    });
    const taken = await ingest.alerts(3);
    expect(taken.map((a) => [a.fingerprint, a.startsAt])).toEqual([
      ['east', '2026-11-22T20:00:00.000Z'],
      ['west', '0001-01-01T13:00:00.000Z'],
      ['last-instant', '9999-12-31T23:59:59.999Z'],
    ]);
    expect(await metric(ingest, 'klaxon_ingest_alerts_refused_total')).toEqual([
      'klaxon_ingest_alerts_refused_total{integration="alertmanager",reason="instant_out_of_range",service="ingest"} 3',
    ]);
  });

  it('a notification none of whose alerts can be taken is 400, each with its path; an event with such a timestamp too', async () => {
    ingest = await startIngest();
    const none = await post(
      ingest.base,
      '/api/v1/alertmanager',
      notification([alert('a', { startsAt: '0000-06-01T00:00:00Z' })]),
      auth,
    );
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ problems: [{ path: 'alerts.0.startsAt' }] });
    const event = await post(ingest.base, '/api/v1/events', trigger({ timestamp: '9999-12-31T23:59:59-12:00' }));
    expect(event.status).toBe(400);
    expect(await event.json()).toMatchObject({ problems: [{ path: 'payload.timestamp' }] });
    expect(ingest.readSoFar()).toEqual([]);
  });
});

describe('links', () => {
  it('only http(s) links are kept: a javascript: generatorURL or event link is dropped', async () => {
    ingest = await startIngest();
    const hostile = 'javascript:alert(document.cookie)';
    await post(
      ingest.base,
      '/api/v1/alertmanager',
      notification([
        alert('js', { generatorURL: hostile }),
        alert('data', { generatorURL: 'data:text/html,<script>alert(1)</script>' }),
        alert('web', { generatorURL: 'HTTPS://prometheus/graph' }),
      ]),
      auth,
    );
    await post(
      ingest.base,
      '/api/v1/events',
      trigger({}, { links: [{ href: hostile }, { href: 'http://grafana/d/checkout', text: 'dashboard' }] }),
    );
    await post(
      ingest.base,
      '/api/v1/events',
      trigger({}, { dedup_key: 'only-js', links: [{ href: ' javascript:x' }] }),
    );
    const taken = await ingest.alerts(5);
    expect(taken.map((a) => a.generatorURL)).toEqual([
      undefined,
      undefined,
      'HTTPS://prometheus/graph',
      'http://grafana/d/checkout',
      undefined,
    ]);
  });
});

describe('nesting', () => {
  const nested = (levels: number) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value as Record<string, unknown>;
  };

  it('custom_details nested 32 levels are taken; deeper is 400 with the path beyond; 20,000 deep too', async () => {
    ingest = await startIngest();
    expect((await post(ingest.base, '/api/v1/events', trigger({ custom_details: nested(32) }))).status).toBe(202);
    const deeper = await post(ingest.base, '/api/v1/events', trigger({ custom_details: nested(33) }));
    expect(deeper.status).toBe(400);
    expect(await deeper.json()).toMatchObject({
      problems: [{ path: `payload.custom_details${'.a'.repeat(32)}`, message: expect.stringContaining('32 levels') }],
    });
    // Written as text: JSON.stringify itself cannot write 20,000 levels.
    const deep = `${'{"a":'.repeat(20_000)}"bottom"${'}'.repeat(20_000)}`;
    const body = JSON.stringify(trigger({ custom_details: 'DEEP' })).replace('"DEEP"', deep);
    const deepest = await post(ingest.base, '/api/v1/events', body);
    expect(deepest.status).toBe(400);
  });
});

describe('size', () => {
  const big = (fingerprint: string, kb: number) =>
    alert(fingerprint, { annotations: { description: 'x'.repeat(kb * 1024) } });

  it('an alert over 256 KB is refused alone with its reason; alone in its request, with 413', async () => {
    ingest = await startIngest();
    const mixed = await post(
      ingest.base,
      '/api/v1/alertmanager',
      notification([big('huge', 300), alert('small')]),
      auth,
    );
    expect(mixed.status).toBe(202);
    expect(await mixed.json()).toMatchObject({
      accepted: 1,
      refused: [{ index: 0, path: 'alerts.0', message: expect.stringContaining('262144 bytes') }],
    });
    const alone = await post(ingest.base, '/api/v1/alertmanager', notification([big('huge', 900)]), auth);
    expect(alone.status).toBe(413);
    expect(await alone.json()).toMatchObject({ limitBytes: 262144, problems: [{ path: 'alerts.0' }] });
    const event = await post(ingest.base, '/api/v1/events', trigger({ custom_details: { dump: 'é'.repeat(150_000) } }));
    expect(event.status).toBe(413);
    expect((await ingest.alerts(1)).map((a) => a.fingerprint)).toEqual(['small']);
  });

  it('a group key over 16 KB is 413: it is in every record and cannot be split', async () => {
    ingest = await startIngest();
    const response = await post(
      ingest.base,
      '/api/v1/alertmanager',
      { ...notification([alert('a')]), groupKey: 'k'.repeat(17_000) },
      auth,
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ problems: [{ path: 'groupKey' }] });
  });

  it('large alerts among many small ones are cut into records by their own sizes, each far under Kafka’s 1 MB', async () => {
    ingest = await startIngest();
    // Ten alerts of 200 KB first, then 300 small ones: cut by count, the first record held all ten.
    const alerts = [
      ...Array.from({ length: 10 }, (_, i) => big(`big-${i}`, 200)),
      ...Array.from({ length: 300 }, (_, i) => alert(`small-${i}`)),
    ];
    const response = await post(ingest.base, '/api/v1/alertmanager', notification(alerts), auth);
    expect(await response.json()).toMatchObject({ accepted: 310 });
    expect((await ingest.alerts(310)).map((a) => a.fingerprint)).toEqual(alerts.map((a) => a.fingerprint));
    for (const record of ingest.readSoFar())
      expect(Buffer.byteLength(JSON.stringify(record.value))).toBeLessThan(512 * 1024);
  });
});
