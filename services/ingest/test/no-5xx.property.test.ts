import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AM_TOKEN, EVENTS_TOKEN, fixture, type IngestHarness, post, startIngest } from './support/ingest-harness.ts';

const firing = fixture('alertmanager-0.25-firing.json');

/** Replaces the value at a random path of the payload with a random JSON value, or deletes it. */
const mutated = fc
  .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.option(fc.jsonValue(), { nil: undefined }))
  .map(([choices, replacement]) => {
    const copy = structuredClone(firing) as Record<string, unknown>;
    let node: Record<string, unknown> = copy;
    for (let depth = 0; depth < choices.length; depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[choices[depth]! % keys.length]!;
      const child = node[key];
      if (depth === choices.length - 1 || child === null || typeof child !== 'object') {
        if (replacement === undefined) delete node[key];
        else node[key] = replacement;
        break;
      }
      node = child as Record<string, unknown>;
    }
    return copy;
  });

describe('no input ever gets a 5xx', () => {
  let ingest: IngestHarness;
  beforeAll(async () => (ingest = await startIngest()));
  afterAll(async () => ingest.close());

  it('mutated Alertmanager payloads get 202 or a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (payload) => {
        const response = await post(ingest.base, '/api/v1/alertmanager', payload, {
          authorization: `Bearer ${AM_TOKEN}`,
        });
        expect([202, 400]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary JSON and arbitrary text to either endpoint get a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string(),
        ),
        fc.boolean(),
        async (body, toEvents) => {
          const response = toEvents
            ? await post(ingest.base, '/api/v1/events', body)
            : await post(ingest.base, '/api/v1/alertmanager', body, { authorization: `Bearer ${AM_TOKEN}` });
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('generic events with random fields get 202 or 400', async () => {
    const event = fc.record(
      {
        routing_key: fc.constant(EVENTS_TOKEN),
        event_action: fc.oneof(fc.constantFrom('trigger', 'acknowledge', 'resolve'), fc.string()),
        dedup_key: fc.string(),
        payload: fc.record(
          {
            summary: fc.string(),
            source: fc.string(),
            severity: fc.constantFrom('critical', 'info', 'bogus'),
            custom_details: fc.dictionary(fc.string(), fc.jsonValue()),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['routing_key'] },
    );
    await fc.assert(
      fc.asyncProperty(event, async (body) => {
        expect([202, 400]).toContain((await post(ingest.base, '/api/v1/events', body)).status);
      }),
      { numRuns: 150 },
    );
  });

  it('bodies nested up to 20,000 deep at either endpoint get 202 or a 4xx', async () => {
    // Written as text: JSON.stringify itself cannot write that deep.
    const deep = (levels: number, array: boolean) =>
      array ? `${'['.repeat(levels)}"x"${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
    const [alert] = firing.alerts as Array<Record<string, unknown>>;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20_000 }),
        fc.boolean(),
        fc.constantFrom('labels', 'annotations', 'extra', 'custom_details'),
        async (levels, array, where) => {
          const response =
            where === 'custom_details'
              ? await post(
                  ingest.base,
                  '/api/v1/events',
                  JSON.stringify({
                    routing_key: EVENTS_TOKEN,
                    event_action: 'trigger',
                    payload: { summary: 's', source: 's', severity: 'info', custom_details: { d: 'DEEP' } },
                  }).replace('"DEEP"', deep(levels, array)),
                )
              : await post(
                  ingest.base,
                  '/api/v1/alertmanager',
                  JSON.stringify({ ...firing, alerts: [{ ...alert, [where]: 'DEEP' }] }).replace(
                    '"DEEP"',
                    deep(levels, array),
                  ),
                  { authorization: `Bearer ${AM_TOKEN}` },
                );
          expect([202, 400, 413]).toContain(response.status);
        },
      ),
      { numRuns: 40 },
    );
  });
});
