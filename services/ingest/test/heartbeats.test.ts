import { heartbeatReceivedSchema } from '@klaxon/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, type IngestHarness, post, startIngest } from './support/ingest-harness.ts';

describe('POST /api/v1/heartbeats/:name: a beat of a monitor', () => {
  let ingest: IngestHarness;
  afterEach(async () => ingest?.close());

  it('given the nightly backup job beats with its integration token, then 202 once the beat is on the bus, keyed by its monitor', async () => {
    ingest = await startIngest();
    const response = await post(ingest.base, '/api/v1/heartbeats/nightly-backup', '', {
      authorization: `Bearer ${AM_TOKEN}`,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, heartbeat: 'nightly-backup' });
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('heartbeat:nightly-backup');
    expect(heartbeatReceivedSchema.parse(record!.value)).toMatchObject({
      heartbeat: 'nightly-backup',
      integration: 'alertmanager',
    });
  });

  // Ingest cannot know the monitors made through escalation's API (it has no event store): any well-formed
  // name is taken, and escalation drops and counts a beat of a name no monitor has.
  it('given a name ingest was never told of, then the beat is taken all the same (202): the monitor may be one made through the API', async () => {
    ingest = await startIngest();
    const auth = { authorization: `Bearer ${AM_TOKEN}` };
    expect((await post(ingest.base, '/api/v1/heartbeats/made-by-api_2.0', '', auth)).status).toBe(202);
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('heartbeat:made-by-api_2.0');
  });

  it('401 without an integration token (an API token is none), 400 for a name that is no heartbeat name; nothing reaches the bus', async () => {
    ingest = await startIngest();
    expect((await post(ingest.base, '/api/v1/heartbeats/nightly-backup', '')).status).toBe(401);
    const wrong = { authorization: 'Bearer api-token-0123456789abcdef' };
    expect((await post(ingest.base, '/api/v1/heartbeats/nightly-backup', '', wrong)).status).toBe(401);
    const auth = { authorization: `Bearer ${AM_TOKEN}` };
    expect((await post(ingest.base, '/api/v1/heartbeats/nightly%20backup', '', auth)).status).toBe(400);
    expect((await post(ingest.base, `/api/v1/heartbeats/${'x'.repeat(101)}`, '', auth)).status).toBe(400);
    expect((await post(ingest.base, '/api/v1/heartbeats/a%2Fb', '', auth)).status).toBe(400);
    await new Promise((r) => setTimeout(r, 100));
    await ingest.received(0);
    expect(ingest.readSoFar()).toEqual([]);
  });
});
