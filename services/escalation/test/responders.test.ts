import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { ackLinks } from '../src/acks/ack-links.ts';
import { LINK_SECRET, PUBLIC_URL, startEscalation, TWILIO_FROM, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const ALICE = '+15550100001';

async function smsReply(h: Harness, from: string, body: string, sign = true) {
  const params = { From: from, To: TWILIO_FROM, Body: body, MessageSid: `SM${Math.random().toString(16).slice(2)}` };
  const signature = sign
    ? twilio.getExpectedTwilioSignature(h.providers.twilio.authToken, `${PUBLIC_URL}/webhooks/twilio/sms`, params)
    : 'forged';
  const response = await fetch(`${h.base}/webhooks/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  await h.service.drained();
  return { status: response.status, text: await response.text() };
}

describe('what responders receive', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('the SMS carries the incident, its severity and the reply codes; the call reads it and asks for a keypress; the email follows the runbook notice', async () => {
    h = await startEscalation();
    await h.alert(
      { alertname: 'OrdersDown', service: 'orders', severity: 'critical' },
      { summary: 'Orders API returns 503' },
    );
    const [sms] = h.providers.twilio.messages();
    expect(sms).toMatchObject({ To: ALICE, From: TWILIO_FROM });
    expect(sms!.Body).toContain('#1 [P1] L1: Orders API returns 503 (orders). Reply 1a to ack, 1c to resolve.');

    const [mail] = h.providers.smtp.mails;
    expect(mail!.from?.value[0]).toMatchObject({ name: 'Klaxon', address: 'klaxon@example.com' });
    expect(mail!.subject).toBe('[P1] #1 OPEN: Orders API returns 503 (orders)');
    expect(mail!.text).toMatch(/Severity: +P1 \(Critical/);
    expect(mail!.text).toMatch(/Started: +2026-11-23 11:00 \+01:00 \(Europe\/Berlin\)/);
    expect(mail!.text).toMatch(/Current status: +open, escalation level L1/);
    expect(mail!.text).toMatch(new RegExp(`Incident: +${PUBLIC_URL}/i/[\\w-]+\\.[\\w-]+`));
    expect(mail!.text).toMatch(new RegExp(`open ${PUBLIC_URL}/i/[\\w-]+\\.[\\w-]+ and tap Acknowledge`));

    await h.advanceTo('2026-11-23T10:10:00Z');
    const [call] = h.providers.twilio.calls();
    expect(call).toMatchObject({ To: '+15550100004', From: TWILIO_FROM });
    expect(call!.Twiml).toContain(
      '<Gather numDigits="1" action="https://klaxon.example.com/webhooks/twilio/voice?incident=',
    );
    expect(call!.Twiml).toContain('Press 1 to acknowledge.');
  });
});

describe('acknowledging from wherever the responder is', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('an SMS reply with a valid Twilio signature acknowledges (1a) and resolves (1c), answered by a confirmation SMS', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const ack = await smsReply(h, ALICE, ' 1A ');
    expect(ack.status).toBe(200);
    expect(ack.text).toContain('<Message>Klaxon: Acknowledged #1 OrdersDown is firing.</Message>');
    expect((await smsReply(h, ALICE, '1a')).text).toContain('already acknowledged by alice');
    expect((await smsReply(h, ALICE, '1c')).text).toContain('Resolved #1');
    const { incident } = (await h.api('GET', `/api/v1/incidents/${h.service.index.summaries()[0]!.id}`)).json;
    // Settled now (every page out), the index keeps only its summary; a reply naming it still finds it.
    expect(h.service.index.get(incident.id)).toBeUndefined();
    expect((await smsReply(h, ALICE, '1a')).text).toContain('Klaxon: #1: the incident is already resolved.');
    expect(incident).toMatchObject({
      status: 'resolved',
      acknowledged: { by: 'alice', via: 'sms' },
      resolved: { by: 'alice', via: 'sms' },
    });
  });

  it('a forged signature gets 403 and changes nothing; strangers and unknown codes get an explanation', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect((await smsReply(h, ALICE, '1a', false)).status).toBe(403);
    expect(h.service.index.acting()[0]!.state.status).toBe('open');
    expect((await smsReply(h, '+19999999999', '1a')).text).toContain('does not know this number');
    expect((await smsReply(h, ALICE, 'hello?')).text).toContain('reply &lt;number&gt;a to acknowledge');
    expect((await smsReply(h, ALICE, '7a')).text).toContain('no incident #7 was paged to you');
  });

  it('pressing 1 on the call acknowledges', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical', category: 'security' });
    const [call] = h.providers.twilio.calls();
    const action = /action="([^"]+)"/.exec(call!.Twiml)![1]!.replace(/&amp;/g, '&');
    const params = { Digits: '1', CallSid: 'CA1' };
    const signature = twilio.getExpectedTwilioSignature(h.providers.twilio.authToken, action, params);
    const response = await fetch(`${h.base}${action.slice(PUBLIC_URL.length)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(await response.text()).toContain('<Say>Acknowledged. Thank you. Goodbye.</Say>');
    expect(h.service.index.acting()[0]!.state).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'erin', via: 'voice' },
    });
  });

  it('a signed email link sent before one-tap links asks before it acknowledges, acknowledges once, and a tampered or expired one never works', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    // Pages carry one-tap links now; an /ack/ link already in someone's mailbox keeps working until it expires.
    const sent = ackLinks(LINK_SECRET).issue(h.service.index.acting()[0]!.state.incidentId, 'alice', h.clock.now());
    const link = `${PUBLIC_URL}/ack/${sent}`;
    const path = link.slice(PUBLIC_URL.length);
    expect((await fetch(`${h.base}${path.slice(0, -2)}xx`)).status).toBe(403);
    expect((await fetch(`${h.base}${path.slice(0, -2)}xx`, { method: 'POST' })).status).toBe(403);

    // A mail scanner opening the link changes nothing.
    const opened = await fetch(`${h.base}${path}`);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('<form method="post"');
    expect(h.service.index.acting()[0]!.state.status).toBe('open');

    const first = await fetch(`${h.base}${path}`, { method: 'POST' });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('Incident #1 acknowledged');
    expect(h.service.index.acting()[0]!.state).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'alice', via: 'email' },
    });
    const again = await fetch(`${h.base}${path}`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already used');
    expect((await fetch(`${h.base}${path}`)).status).toBe(409);
    h.clock.set('2026-11-24T10:00:01Z');
    expect((await fetch(`${h.base}${path}`, { method: 'POST' })).status).toBe(410);
  });

  it('the generic events API acknowledge and resolve actions act on the incident of their dedup_key', async () => {
    h = await startEscalation();
    await h.alert(
      { alertname: 'Checkout', severity: 'error' },
      { groupKey: 'checkout-latency', fingerprint: 'checkout-latency' },
    );
    await h.alert(
      { alertname: 'Checkout', severity: 'error' },
      { groupKey: 'checkout-latency', fingerprint: 'checkout-latency', status: 'acknowledged' },
    );
    expect(h.service.index.acting()[0]!.state).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'integration:alertmanager', via: 'api' },
    });
    await h.alert(
      { alertname: 'Checkout', severity: 'error' },
      { groupKey: 'checkout-latency', fingerprint: 'checkout-latency', status: 'resolved' },
    );
    expect(h.service.index.summaries()).toMatchObject([
      { status: 'resolved', resolved: { by: 'source', via: 'source' } },
    ]);
  });
});

describe('acknowledging and resolving through the events API on label-matched routes', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('an acknowledge or resolve carrying only its dedup_key finds the incident its trigger opened on another route', async () => {
    const routes = '  - match: { service: checkout }\n    policy: default\n  - match: {}\n    policy: default';
    h = await startEscalation({ config: testConfig({ routes }) });
    await h.alert(
      { alertname: 'Checkout', service: 'checkout', severity: 'critical' },
      { groupKey: 'checkout-5xx', fingerprint: 'checkout-5xx' },
    );
    await h.alert({}, { groupKey: 'checkout-5xx', fingerprint: 'checkout-5xx', status: 'acknowledged' });
    expect(h.service.index.acting().map((i) => i.state)).toMatchObject([
      { status: 'acknowledged', acknowledged: { by: 'integration:alertmanager' } },
    ]);
    await h.alert({}, { groupKey: 'checkout-5xx', fingerprint: 'checkout-5xx', status: 'resolved' });
    expect(h.service.index.summaries()).toMatchObject([{ status: 'resolved', resolved: { via: 'source' } }]);
  });

  it('a resolve for a group with no open incident changes nothing and opens nothing', async () => {
    h = await startEscalation();
    await h.alert({}, { groupKey: 'never-fired', fingerprint: 'never-fired', status: 'resolved' });
    expect(h.service.index.size()).toBe(0);
  });
});

describe('the incident API', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('needs an API token, answers 404 for an unknown incident, 409 for a refused command and 400 for a bad body', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    expect((await fetch(`${h.base}/api/v1/incidents`)).status).toBe(401);
    expect((await fetch(`${h.base}/api/v1/incidents`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await h.api('GET', '/api/v1/incidents/nope-1')).status).toBe(404);
    expect((await h.api('POST', '/api/v1/incidents/nope-1/acknowledge', { by: 'x' })).status).toBe(404);
    // Without `by` the caller is credited; an empty one is still a bad body.
    expect((await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: '' })).json).toMatchObject({
      problems: [{ path: 'by' }],
    });
    expect((await h.api('POST', `/api/v1/incidents/${id}/status-updates`, { by: 'alice' })).json).toMatchObject({
      problems: [{ path: 'text' }],
    });
    expect((await h.api('GET', '/api/v1/incidents?status=sleeping')).status).toBe(400);
    expect((await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' })).status).toBe(200);
    const twice = await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'bob' });
    expect(twice).toMatchObject({
      status: 409,
      json: { code: 'AlreadyAcknowledged', error: 'the incident was already acknowledged by alice' },
    });
    for (let i = 0; i < 3; i++) await h.api('POST', `/api/v1/incidents/${id}/escalate`, { by: 'alice' });
    expect((await h.api('POST', `/api/v1/incidents/${id}/escalate`, { by: 'alice' })).json).toMatchObject({
      code: 'AtHighestLevel',
    });
  });

  it('changes severity by hand: the timers of the new severity apply, the same severity again is refused', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'CheckoutSlow', service: 'checkout', severity: 'warning' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    expect(h.service.index.get(id)!.state.severity).toBe('P3');
    const raised = await h.api('POST', `/api/v1/incidents/${id}/severity`, { by: 'alice', severity: 'P1' });
    expect(raised).toMatchObject({
      status: 200,
      json: { incident: { severity: 'P1' }, events: expect.arrayContaining(['SeverityChanged']) },
    });
    // P1's 5-minute ack timeout now applies from the change.
    await h.advanceTo('2026-11-23T10:05:00Z');
    expect(h.service.index.get(id)!.state.level).toBe(2);
    expect(await h.api('POST', `/api/v1/incidents/${id}/severity`, { by: 'alice', severity: 'P1' })).toMatchObject({
      status: 409,
      json: { code: 'SeverityUnchanged' },
    });
    expect(
      (await h.api('POST', `/api/v1/incidents/${id}/severity`, { by: 'alice', severity: 'P7' })).json,
    ).toMatchObject({ problems: [{ path: 'severity' }] });
  });

  it('the console page the one-tap page links to opens for the incident, not a 404', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const link = `/incidents/${h.service.index.acting()[0]!.state.incidentId}`;
    const oneTap = /https:\/\/klaxon\.example\.com(\/i\/\S+)/.exec(h.providers.twilio.messages()[0]!.Body)?.[1];
    expect(await (await fetch(`${h.base}${oneTap}`)).text()).toContain(`href="${link}"`);
    const page = await fetch(`${h.base}${link}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    // The console's shell: it signs in and reads the incident API in the browser (test/e2e/console.test.ts).
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/app.js"></script>');
    for (const asset of [
      '/console/app.js',
      '/console/incident-page.js',
      '/console/vendor/preact.mjs',
      '/console/vendor/htm.mjs',
    ]) {
      expect((await fetch(`${h.base}${asset}`)).status, asset).toBe(200);
    }
  });

  it('shows current state, assignees and the full timeline fit for a post-mortem', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
    const { incident, timeline } = (await h.api('GET', `/api/v1/incidents/${id}`)).json;
    expect(incident).toMatchObject({
      id,
      number: 1,
      severity: 'P1',
      status: 'resolved',
      level: 'L1',
      assignees: ['alice'],
      service: 'orders',
    });
    expect(timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining([
        'IncidentOpened',
        'AlertAttached',
        'PageRequested',
        'PageDelivered',
        'EscalationScheduled',
        'Acknowledged',
        'Resolved',
      ]),
    );
    expect(timeline.map((e: { revision: number }) => e.revision)).toEqual(timeline.map((_: unknown, i: number) => i));
    expect((await h.api('GET', '/api/v1/incidents?status=resolved')).json.incidents).toHaveLength(1);
    expect((await h.api('GET', '/api/v1/incidents?status=open')).json.incidents).toHaveLength(0);
  });
});
