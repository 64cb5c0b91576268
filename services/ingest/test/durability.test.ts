import { openEmbeddedBus } from '@klaxon/bus';
import { tempDir } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { AM_TOKEN, fixture, post, startIngest } from './support/ingest-harness.ts';

const firing = fixture('alertmanager-0.25-firing.json');

it('a restart of the embedded log loses nothing that was answered 202', async () => {
  const dir = tempDir('klaxon-durable-');
  const first = await startIngest({ dir });
  const answers: number[] = [];
  for (let i = 0; i < 25; i++) {
    const payload = { ...firing, groupKey: `group-${i}` };
    answers.push(
      (await post(first.base, '/api/v1/alertmanager', payload, { authorization: `Bearer ${AM_TOKEN}` })).status,
    );
  }
  await first.close();
  expect(answers.every((s) => s === 202)).toBe(true);

  const second = await startIngest({ dir, bus: openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 }) });
  const records = await second.received(25);
  expect(records.map((r) => r.key)).toEqual(Array.from({ length: 25 }, (_, i) => `group-${i}`));
  await second.close();
  dir.remove();
});
