import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALERTS_TOPIC, openEmbeddedBus } from '@klaxon/bus';
import { startFakeTwilio, tempDir } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startReadyKlaxon, twilioEnv, type ReadyKlaxon } from './klaxon-process.ts';
import { quickRunbookYaml } from './quick-runbook.ts';

const API_TOKEN = 'cli-e2e-api-token-00000001';
const WEBHOOK_TOKEN = 'cli-e2e-webhook-token-0001';

/** `pnpm klaxon …` as an operator runs it: its own process; status, stdout and stderr. */
function klaxon(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('klaxon CLI, offline', () => {
  it('check-config validates the shipped file and lists its routes, policies and schedules', async () => {
    const { status, stdout } = await klaxon(['check-config', 'klaxon.yaml']);
    expect(status).toBe(0);
    expect(stdout).toContain("Checking 'klaxon.yaml'  SUCCESS");
    expect(stdout).toMatch(/P1\s+5m\s+30m, 1h, 2h/);
    expect(stdout).toMatch(/1\s+\(catch-all\)\s+from labels\s+default/);
    expect(stdout).toMatch(/primary-oncall\s+Europe\/Berlin\s+weekly\s+monday 09:00\s+alice, bob/);
  });

  it('check-config exits 1 naming each bad key by its path and why; usage mistakes exit 2', async () => {
    const dir = tempDir('klaxon-cli-');
    const bad = dir.file('bad.yaml');
    writeFileSync(
      bad,
      'severities:\n  P1: { ackTimeout: soon, escalateAfter: [1h, 30m], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }\n',
    );
    const { status, stderr } = await klaxon(['check-config', bad]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/severities\.P1\.ackTimeout: "soon" is not a duration/);
    expect(stderr).toMatch(/severities\.P2: .*expected object/);
    expect(stderr).toMatch(/routes: .*expected array/);
    expect((await klaxon(['check-config', dir.file('missing.yaml')])).status).toBe(1);
    expect((await klaxon(['frobnicate'])).status).toBe(2);
    expect((await klaxon(['check-config', '--bogus'])).status).toBe(2);
    dir.remove();
  });

  it('routes test: a security alert routes to the default policy at P1 and pages L3 at once', async () => {
    const { status, stdout } = await klaxon([
      'routes',
      'test',
      'alertname=Intrusion',
      'category=security',
      'severity=critical',
      '--output',
      'json',
    ]);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).matches).toEqual([
      {
        route: 1,
        match: '(catch-all)',
        policy: 'default',
        severity: 'P1',
        level: 'L3',
        pages: [{ contact: 'erin', channels: ['voice', 'email'] }],
      },
    ]);
    const warning = JSON.parse(
      (
        await klaxon([
          'routes',
          'test',
          'alertname=Disk',
          'severity=warning',
          '--at',
          '2026-11-23T10:00:00Z',
          '--output',
          'json',
        ])
      ).stdout,
    );
    // The week of 2026-11-23 (Monday) is alice's? The rota: alice from 2026-01-05, weekly; 46 weeks later it is alice's again.
    expect(warning.matches[0]).toMatchObject({
      severity: 'P3',
      level: 'L1',
      pages: [{ contact: 'alice', channels: ['sms', 'voice', 'email'] }],
    });
    expect((await klaxon(['routes', 'test', 'not-a-label'])).status).toBe(2);
  });
});

describe('klaxon CLI against a running Klaxon (pnpm start)', () => {
  let running: ReadyKlaxon;
  let env: Record<string, string>;
  let ingest: string;
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;
  const data = tempDir('klaxon-cli-run-');

  beforeAll(async () => {
    twilio = await startFakeTwilio();
    running = await startReadyKlaxon(
      {
        KLAXON_DATA_DIR: data.path,
        KLAXON_API_TOKEN: API_TOKEN,
        KLAXON_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
        ...twilioEnv(twilio),
      },
      60_000,
    );
    env = { KLAXON_URL: running.escalation, KLAXON_API_TOKEN: API_TOKEN };
    ingest = running.ingest;
    const answer = await fetch(`${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        payload: { summary: 'Payments timing out', source: 'cli-e2e', severity: 'critical' },
      }),
    });
    expect(answer.status).toBe(202);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if ((await klaxon(['incidents', '--output', 'json'], env)).stdout.includes('Payments timing out')) break;
    }
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await twilio?.close();
    data.remove();
  });

  it(
    'incidents, show, ack (and ack again refused), show --at before and after, status-update, postmortem',
    { timeout: 60_000 },
    async () => {
      const list = await klaxon(['incidents'], env);
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(/^#\s+severity\s+status\s+level/m);
      expect(list.stdout).toMatch(/^1\s+P1\s+open\s+L1\s+.*Payments timing out$/m);

      const shown = await klaxon(['show', '1'], env);
      expect(shown.status).toBe(0);
      expect(shown.stdout).toMatch(/^#1 Payments timing out/);
      expect(shown.stdout).toMatch(/^status\s+open$/m);

      const ack = await klaxon(['ack', '#1', '--by', 'alice'], env);
      expect(ack).toMatchObject({ status: 0, stdout: '#1 acknowledged at L1 (acknowledge by alice)\n' });
      const again = await klaxon(['ack', '1', '--by', 'alice'], env);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/Klaxon answered 409/);

      const detail = JSON.parse((await klaxon(['show', '1', '--output', 'json'], env)).stdout);
      const ackedAt = Date.parse(detail.incident.acknowledged.at);
      const before = JSON.parse(
        (await klaxon(['show', '1', '--at', new Date(ackedAt - 1000).toISOString(), '--output', 'json'], env)).stdout,
      );
      const after = JSON.parse(
        (await klaxon(['show', '1', '--at', new Date(ackedAt + 1000).toISOString(), '--output', 'json'], env)).stdout,
      );
      expect([before.incident.status, after.incident.status]).toEqual(['open', 'acknowledged']);
      expect((await klaxon(['show', '1', '--at', new Date(ackedAt - 1000).toISOString()], env)).stdout).toMatch(
        /\(as of .*\)\n/,
      );

      expect(
        (await klaxon(['status-update', '1', '--text', 'Failing over to the secondary', '--by', 'alice'], env)).status,
      ).toBe(0);
      const pm = await klaxon(['postmortem', '1'], env);
      expect(pm.status).toBe(0);
      expect(pm.stdout).toMatch(/^# Post-mortem: #1 Payments timing out/);
      expect(pm.stdout).toContain('Status update by alice: Failing over to the secondary');
      expect(pm.stdout).toMatch(/\| Participants \| alice \|/);

      const resolved = await klaxon(['resolve', '1', '--by', 'alice', '--output', 'json'], env);
      expect(JSON.parse(resolved.stdout).incident.status).toBe('resolved');
      expect((await klaxon(['incidents'], env)).stdout).toBe('no incidents (unresolved)\n');
      expect((await klaxon(['incidents', '--status', 'resolved'], env)).stdout).toMatch(/^1\s+P1\s+resolved/m);
    },
  );

  it('token create --for hands bob a token; bob lists it, acts as himself only, revokes it, and is refused after', async () => {
    const created = await klaxon(['token', 'create', '--for', 'bob', '--name', 'laptop', '--expires', '30d'], env);
    expect(created.status).toBe(0);
    const [secret] = created.stdout.split('\n');
    expect(secret).toMatch(/^kx_/);
    const bob = { ...env, KLAXON_API_TOKEN: secret! };

    const listed = JSON.parse((await klaxon(['token', 'ls', '--output', 'json'], bob)).stdout);
    expect(listed.tokens).toMatchObject([{ name: 'laptop', state: 'active' }]);
    const forged = await klaxon(['ack', '1', '--by', 'alice'], bob);
    expect(forged.status).toBe(1);
    expect(forged.stderr).toMatch(/Klaxon answered 403: only an admin may act in another's name/);

    expect(await klaxon(['token', 'revoke', listed.tokens[0].id], bob)).toMatchObject({ status: 0 });
    const after = await klaxon(['incidents'], bob);
    expect(after.status).toBe(1);
    expect(after.stderr).toMatch(/Klaxon answered 401/);
  });

  it(
    'audit shows who handed out and revoked tokens, as a table and as JSON, and filters by kind and actor',
    { timeout: 60_000 },
    async () => {
      const created = await klaxon(['token', 'create', '--for', 'erin', '--name', 'audit-me'], env);
      expect(created.status).toBe(0);
      const erin = { ...env, KLAXON_API_TOKEN: created.stdout.split('\n')[0]! };
      const id = JSON.parse((await klaxon(['token', 'ls', '--output', 'json'], erin)).stdout).tokens[0].id as string;
      expect(await klaxon(['token', 'revoke', id], erin)).toMatchObject({ status: 0 });

      const listed = await klaxon(['audit', '--kind', 'token', '--actor', 'erin'], env);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`token\\.revoked\\s+person:erin\\s+tokenId=${id}`));
      const json = JSON.parse((await klaxon(['audit', '--kind', 'token.created', '--output', 'json'], env)).stdout);
      expect(json.entries).toContainEqual(
        expect.objectContaining({
          kind: 'token.created',
          actor: { kind: 'service', name: 'api' },
          subject: 'person:erin',
        }),
      );
      // A person's own token is no admin's: the audit log is refused to it.
      const refused = await klaxon(['token', 'create', '--for', 'erin', '--name', 'second'], env);
      const asErin = await klaxon(['audit'], { ...env, KLAXON_API_TOKEN: refused.stdout.split('\n')[0]! });
      expect(asErin.status).toBe(1);
      expect(asErin.stderr).toMatch(/Klaxon answered 403/);
    },
  );

  it(
    'dead-letters lists the records escalation moved aside, with why and where they came from',
    { timeout: 60_000 },
    async () => {
      expect(await klaxon(['dead-letters'], env)).toMatchObject({ status: 0, stdout: 'no dead letters\n' });
      // A record on the bus that is not alerts, as a foreign producer might write.
      const bus = openEmbeddedBus(join(data.path, 'bus.db'));
      await bus.publish(ALERTS_TOPIC, [
        { key: 'junk', value: { type: 'AlertReceived', version: 1, status: 'sideways' } },
      ]);
      await bus.close();
      let letters: Array<{ reason: string; key: string; value: unknown }> = [];
      for (const deadline = Date.now() + 15_000; letters.length === 0 && Date.now() < deadline;) {
        letters = JSON.parse((await klaxon(['dead-letters', '--output', 'json'], env)).stdout);
      }
      expect(letters).toMatchObject([
        {
          key: 'junk',
          reason: expect.stringMatching(/^not an AlertReceived or AlertsReceived/),
          value: { status: 'sideways' },
        },
      ]);
      const shown = await klaxon(['dead-letters', '--limit', '5'], env);
      expect(shown.status).toBe(0);
      expect(shown.stdout).toMatch(/^dead-lettered\s+from\s+attempts\s+key\s+reason$/m);
      expect(shown.stdout).toMatch(/^\S+ \S+Z\s+0@\d+\s+1\s+junk\s+not an AlertReceived or AlertsReceived/m);
      expect((await klaxon(['dead-letters', '--limit', '0'], env)).status).toBe(2);
    },
  );

  it(
    'oncall lists the next shifts of a schedule; unknown things exit 1, a missing token exits 2',
    { timeout: 60_000 },
    async () => {
      const next = JSON.parse(
        (
          await klaxon(
            [
              'oncall',
              '--schedule',
              'primary-oncall',
              '--next',
              '3',
              '--at',
              '2027-03-20T00:00:00Z',
              '--output',
              'json',
            ],
            env,
          )
        ).stdout,
      );
      expect(next.schedules[0].shifts.map((s: { contact: string; from: string }) => [s.contact, s.from])).toEqual([
        ['alice', '2027-03-20T00:00:00.000Z'],
        ['bob', '2027-03-22T08:00:00.000Z'],
        ['alice', '2027-03-29T07:00:00.000Z'],
      ]);
      const table = await klaxon(['oncall'], env);
      expect(table.status).toBe(0);
      expect(table.stdout).toMatch(/^default\s+L2\s+tom \(sms, voice, email\)$/m);
      expect((await klaxon(['oncall', '--schedule', 'nope'], env)).status).toBe(1);
      expect((await klaxon(['show', '999'], env)).status).toBe(1);
      expect((await klaxon(['incidents'], { KLAXON_URL: env.KLAXON_URL! })).status).toBe(2);
      const refused = await klaxon(['incidents'], { ...env, KLAXON_API_TOKEN: 'wrong-token-000000000000' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/Klaxon answered 401/);
    },
  );

  it(
    "take --for 1h puts the token's owner on call; override ls shows who made it; a responder may not put another on; override rm gives the time back",
    { timeout: 180_000 },
    async () => {
      const schedules = JSON.parse(
        (await fetch(`${env.KLAXON_URL}/api/v1/schedules`, { headers: { authorization: `Bearer ${API_TOKEN}` } }).then(
          (r) => r.text(),
        )) || '{}',
      ) as { schedules: Array<{ name: string; members: string[]; onCall: string }> };
      const primary = schedules.schedules.find((s) => s.name === 'primary-oncall')!;
      // Whoever of the two is not on call this week takes the pager.
      const taker = primary.members.find((m) => m !== primary.onCall)!;
      const created = await klaxon(['token', 'create', '--for', taker, '--name', 'oncall-test'], env);
      const mine = { ...env, KLAXON_API_TOKEN: created.stdout.split('\n')[0]! };

      const taken = await klaxon(['take', '--for', '1h', '--reason', 'covering'], mine);
      expect(taken.status).toBe(0);
      expect(taken.stdout).toMatch(/^on call\s+primary-oncall until \S+ \S+Z$/m);
      const id = /^override\s+(ovr_\w+)$/m.exec(taken.stdout)![1]!;
      const now = JSON.parse(
        (await klaxon(['oncall', '--schedule', 'primary-oncall', '--output', 'json'], env)).stdout,
      );
      expect(now.schedules[0].shifts[0]).toMatchObject({ contact: taker, override: true, overrideId: id });

      const listed = await klaxon(['override', 'ls'], env);
      expect(listed.stdout).toMatch(
        new RegExp(`^${id}\\s+primary-oncall\\s+${taker}\\s+—\\s+.*\\s+${taker}\\s+covering$`, 'm'),
      );
      const start = new Date(Date.now() + 3_600_000 * 3).toISOString();
      const end = new Date(Date.now() + 3_600_000 * 4).toISOString();
      const refused = await klaxon(
        ['override', 'add', '--schedule', 'primary-oncall', '--start', start, '--end', end, '--person', 'tom'],
        mine,
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/Klaxon answered 403: a responder may put only themselves on call/);
      expect((await klaxon(['override', 'add', '--schedule', 'primary-oncall'], env)).status).toBe(2);

      expect(await klaxon(['override', 'rm', id], env)).toMatchObject({ status: 0 });
      expect((await klaxon(['override', 'ls', '--schedule', 'primary-oncall'], env)).stdout).toBe(
        'no overrides in force\n',
      );
      expect((await klaxon(['override', 'rm', id], env)).status).toBe(1);
    },
  );
  // reach (issue 25): a person's contact methods and notification rules.
  it(
    'methods add, verify (the texted code), confirm, test, rm; rules show and set, keeping what a flag does not name',
    { timeout: 120_000 },
    async () => {
      const created = await klaxon(['token', 'create', '--for', 'alice', '--name', 'methods'], env);
      const alice = { ...env, KLAXON_API_TOKEN: created.stdout.split('\n')[0]! };
      const phone = '+15550100066';

      const added = await klaxon(['methods', 'add', 'sms', phone], alice);
      expect(added.status, added.stderr).toBe(0);
      const id = /^(m_\w+)\s+sms \+15550100066 added, not paged until verified$/m.exec(added.stdout)![1]!;
      expect((await klaxon(['methods', 'ls'], alice)).stdout).toMatch(
        new RegExp(`^${id}\\s+sms\\s+\\${phone}\\s+added\\s+no \\(unverified\\)$`, 'm'),
      );
      expect(await klaxon(['methods', 'verify', id], alice)).toMatchObject({ status: 0 });
      const code = /code is (\d{6})/.exec(twilio.messages().find((m) => m.To === phone)!.Body)![1]!;
      const wrong = await klaxon(['methods', 'confirm', id, code === '000000' ? '111111' : '000000'], alice);
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toMatch(/Klaxon answered 422: wrong code/);
      expect(await klaxon(['methods', 'confirm', id, code], alice)).toMatchObject({
        status: 0,
        stdout: `${id} verified: it is paged from now on\n`,
      });
      const listed = JSON.parse((await klaxon(['methods', 'ls', '--output', 'json'], alice)).stdout);
      expect(listed.methods).toContainEqual(expect.objectContaining({ id, verified: true, source: 'api' }));
      expect(listed.methods).toContainEqual(
        expect.objectContaining({ id: 'sms', to: '+15550100001', source: 'config' }),
      );

      expect(await klaxon(['methods', 'test', id], alice)).toMatchObject({ status: 0 });
      expect(
        twilio
          .messages()
          .filter((m) => m.To === phone)
          .map((m) => m.Body),
      ).toEqual([expect.stringContaining('code is'), expect.stringContaining('Klaxon test page')]);
      expect(await klaxon(['methods', 'rm', id], alice)).toMatchObject({ status: 0, stdout: `${id} removed\n` });
      expect((await klaxon(['methods', 'rm', id], alice)).status).toBe(1);
      expect((await klaxon(['methods', 'rm', 'sms'], alice)).stderr).toMatch(/written in klaxon.yaml/);

      expect((await klaxon(['rules', 'show'], alice)).stdout).toMatch(/^from\s+klaxon\.yaml$/m);
      const set = await klaxon(['rules', 'set', '--high', '0m sms, 2m voice', '--quiet', '22:00-07:00'], alice);
      expect(set.status, set.stderr).toBe(0);
      expect(set.stdout).toMatch(/^high\s+0m sms, 2m voice$/m);
      expect(set.stdout).toMatch(/^quiet hours\s+22:00-07:00$/m);
      // --low alone keeps the high steps and the quiet hours as they stand.
      await klaxon(['rules', 'set', '--low', '0m email'], alice);
      expect(JSON.parse((await klaxon(['rules', 'show', '--output', 'json'], alice)).stdout)).toEqual({
        rules: {
          high: [
            { afterMs: 0, method: 'sms' },
            { afterMs: 120_000, method: 'voice' },
          ],
          low: [{ afterMs: 0, method: 'email' }],
        },
        quietHours: { from: '22:00', to: '07:00' },
        source: 'api',
      });
      const bad = await klaxon(['rules', 'set', '--high', 'soon sms'], alice);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/high\.0\.after: "soon" is not a duration/);
      expect((await klaxon(['rules', 'set', '--quiet', '22-7'], alice)).status).toBe(2);
      expect((await klaxon(['methods', 'add', 'fax', '+15550100066'], alice)).status).toBe(2);
      // The service token is no person: it has no methods.
      const service = await klaxon(['methods', 'ls'], env);
      expect(service.status).toBe(1);
      expect(service.stderr).toMatch(/Klaxon answered 403: .*has no contact methods/);
    },
  );
  // quiet (issue 27): silences, as amtool's.
  it('silence add, ls and expire: a silence with its author, listed, then gone; usage mistakes exit 2', async () => {
    const added = await klaxon(
      ['silence', 'add', 'alertname=~Disk.*', 'service=db', '--for', '2h', '--comment', 'disk swap'],
      env,
    );
    expect(added.status).toBe(0);
    const id = /^(\S+) silences alertname=~Disk\.\* service=db from \S+ \S+Z to \S+ \S+Z$/m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    const listed = JSON.parse((await klaxon(['silence', 'ls', '--output', 'json'], env)).stdout);
    expect(listed).toMatchObject([
      { id, matchers: { alertname: '~Disk.*', service: 'db' }, comment: 'disk swap', createdBy: { name: 'api' } },
    ]);
    expect(await klaxon(['silence', 'expire', id!], env)).toMatchObject({ status: 0, stdout: `${id} expired\n` });
    expect((await klaxon(['silence', 'ls'], env)).stdout).toBe('no silences\n');
    expect((await klaxon(['silence', 'expire', 'no-such-silence'], env)).status).toBe(1);
    expect((await klaxon(['silence', 'add', 'alertname=Foo', '--comment', 'no end'], env)).status).toBe(2);
    expect((await klaxon(['silence', 'add', 'Foo', '--for', '1h', '--comment', 'x'], env)).status).toBe(2);
  }, 120_000);

  it('heartbeats add, ls and rm: a monitor made through the API takes beats through ingest, then is gone', async () => {
    // No grace: a beat this soon after the arming is written only then (docs/quiet.md, how it is kept).
    const added = await klaxon(
      ['heartbeats', 'add', 'nightly-backup', '--interval', '24h', '--label', 'severity=warning'],
      env,
    );
    expect(added).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^nightly-backup added: a beat is due by /),
    });
    expect((await klaxon(['heartbeats', 'add', 'nightly-backup', '--interval', '24h'], env)).status).toBe(1);
    expect((await klaxon(['heartbeats', 'add', 'weekly-backup', '--interval', 'weekly'], env)).status).toBe(1);
    expect((await klaxon(['heartbeats', 'add', 'weekly-backup'], env)).status).toBe(2);

    // Ingest knows nothing of it, and takes its beat all the same; escalation, which does, records it.
    const beat = await fetch(`${ingest}/api/v1/heartbeats/nightly-backup`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    });
    expect(beat.status).toBe(202);
    const deadline = Date.now() + 20_000;
    let listed: Array<{ name: string; lastBeatAt: string | null; source: string }> = [];
    while (Date.now() < deadline) {
      listed = JSON.parse((await klaxon(['heartbeats', 'ls', '--output', 'json'], env)).stdout);
      if (listed.find((m) => m.name === 'nightly-backup')?.lastBeatAt) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.find((m) => m.name === 'nightly-backup')).toMatchObject({
      source: 'api',
      state: 'ok',
      lastBeatAt: expect.any(String),
    });
    expect((await klaxon(['heartbeats', 'ls'], env)).stdout).toMatch(/^nightly-backup +ok +\S+ \S+Z +\S+ \S+Z +api$/m);

    expect(await klaxon(['heartbeats', 'rm', 'nightly-backup'], env)).toMatchObject({
      status: 0,
      stdout: 'nightly-backup removed\n',
    });
    expect((await klaxon(['heartbeats', 'rm', 'nightly-backup'], env)).status).toBe(1);
    expect((await klaxon(['heartbeats', 'ls'], env)).stdout).not.toMatch(/nightly-backup/);
  }, 120_000);
});

const quickRunbook = (ackTimeout: string) =>
  quickRunbookYaml({ ackTimeout, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN, l2Voice: true });

describe('klaxon replay: a recorded history through a candidate configuration, offline', () => {
  it(
    'a candidate with a shorter acknowledgement timeout gives more L2 pages, with exact counts; one with maintenance windows holds quiet what they would have',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir('klaxon-replay-');
      writeFileSync(dir.file('current.yaml'), quickRunbook('6s'));
      writeFileSync(dir.file('candidate.yaml'), quickRunbook('2s'));
      const twilio = await startFakeTwilio();
      const live = await startReadyKlaxon(
        { KLAXON_DATA_DIR: dir.file('data'), KLAXON_CONFIG: dir.file('current.yaml'), ...twilioEnv(twilio) },
        60_000,
      ).catch(async (error: unknown) => {
        await twilio.close();
        throw error;
      });
      const env = { KLAXON_URL: live.escalation, KLAXON_API_TOKEN: API_TOKEN };
      try {
        const open = async (summary: string) => {
          const answer = await fetch(`${live.ingest}/api/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              routing_key: WEBHOOK_TOKEN,
              event_action: 'trigger',
              payload: { summary, source: 'replay-e2e', severity: 'critical' },
            }),
          });
          expect(answer.status).toBe(202);
        };
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        // Recorded in real time with a 6 s acknowledgement timeout: #1 acknowledged after ~3 s (never
        // escalated), #2 after ~9 s (reached L2 at 6 s, not L3 at 12 s), #3 never (L2 only: resolved at ~9.5 s).
        // The API straight, not the CLI: each CLI run is a process start, too slow for a seconds-long runbook.
        const api = (method: string, path: string, body?: unknown) =>
          fetch(`${env.KLAXON_URL}${path}`, {
            method,
            headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
        for (const s of ['Disk full', 'Queue backlog', 'Cache misses']) await open(s);
        let ids: Record<number, string> = {};
        for (
          const deadline = Date.now() + 15_000;
          Date.now() < deadline && Object.keys(ids).length < 3;
          await sleep(50)
        ) {
          const list = (await (await api('GET', '/api/v1/incidents')).json()) as {
            incidents: Array<{ id: string; number: number }>;
          };
          ids = Object.fromEntries(list.incidents.map((i) => [i.number, i.id]));
        }
        await sleep(3000);
        expect((await api('POST', `/api/v1/incidents/${ids[1]}/acknowledge`, { by: 'alice' })).status).toBe(200);
        await sleep(6000);
        expect((await api('POST', `/api/v1/incidents/${ids[2]}/acknowledge`, { by: 'alice' })).status).toBe(200);
        await sleep(500);
        for (const n of [1, 2, 3])
          expect((await api('POST', `/api/v1/incidents/${ids[n]}/resolve`, { by: 'alice' })).status).toBe(200);
      } finally {
        await live.stop();
        await twilio.close();
      }

      const result = await klaxon(
        [
          'replay',
          '--config',
          dir.file('candidate.yaml'),
          '--current',
          dir.file('current.yaml'),
          '--data-dir',
          dir.file('data'),
          '--output',
          'json',
        ],
        {},
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/3 incidents to replay/);
      const { actual, candidate, differing } = JSON.parse(result.stdout);
      // What happened: #2 and #3 reached L2 (tom by SMS and call), and tom got their resolution notices by SMS.
      expect(actual.escalationsTo).toEqual({ L2: 2, L3: 0, L4: 0 });
      expect([actual.pages['tom sms'], actual.pages['tom voice']]).toEqual([4, 2]);
      // With 2 s: #1 reaches L2 at 2 s too (acknowledged at ~3 s, before L3 at 4 s); #2 and #3 climb through
      // L3 and L4 (no targets there) at 4 and 6 s.
      expect(candidate.escalationsTo).toEqual({ L2: 3, L3: 2, L4: 2 });
      expect([candidate.pages['tom sms'], candidate.pages['tom voice']]).toEqual([6, 3]);
      expect(candidate.pages['alice sms']).toBe(actual.pages['alice sms']);
      expect(differing.map((d: { number: number }) => d.number)).toEqual([1, 2, 3]);
      const text = await klaxon([
        'replay',
        '--config',
        dir.file('candidate.yaml'),
        '--current',
        dir.file('current.yaml'),
        '--data-dir',
        dir.file('data'),
      ]);
      expect(text.stdout).toMatch(/^escalations to L2\s+2\s+3$/m);
      expect(text.stdout).toMatch(/^pages tom voice\s+2\s+3$/m);
      expect((await klaxon(['replay', '--data-dir', dir.file('data')])).status).toBe(2);

      // A candidate whose maintenance windows (round the clock, every day) take "Disk full": #1 would have
      // paged nobody (it was acknowledged and resolved inside the window); the others go as they went.
      const allWeek = '[mon, tue, wed, thu, fri, sat, sun]';
      writeFileSync(
        dir.file('quiet.yaml'),
        `${quickRunbook('6s')}maintenance:
  disk-day: { matchers: { summary: Disk full }, days: ${allWeek}, from: "00:00", to: "12:00", timezone: UTC }
  disk-night: { matchers: { summary: Disk full }, days: ${allWeek}, from: "12:00", to: "00:00", timezone: UTC }
`,
      );
      const quietArgs = ['replay', '--config', dir.file('quiet.yaml'), '--current', dir.file('current.yaml')];
      const quiet = await klaxon([...quietArgs, '--data-dir', dir.file('data'), '--output', 'json']);
      expect(quiet.status, quiet.stderr).toBe(0);
      const held = JSON.parse(quiet.stdout);
      expect(Object.values(held.candidate.heldQuietBy).reduce((a: number, b) => a + (b as number), 0)).toBe(1);
      expect(held.actual.heldQuietBy).toEqual({});
      // alice's L1 page for #1 and its resolution notice are gone; tom's pages for #2 and #3 are as they were.
      expect(held.candidate.pages['alice sms']).toBe(actual.pages['alice sms'] - 2);
      expect(held.candidate.pages['tom sms']).toBe(actual.pages['tom sms']);
      expect(held.differing.map((d: { number: number }) => d.number)).toEqual([1]);
      const quietText = await klaxon([...quietArgs, '--data-dir', dir.file('data')]);
      expect(quietText.stdout).toMatch(/^held quiet by disk-(day|night)\s+0\s+1$/m);
      expect(quietText.stdout).toMatch(/L1, 0 pages, quiet \(disk-(day|night)\)/);
      dir.remove();
    },
  );
});
