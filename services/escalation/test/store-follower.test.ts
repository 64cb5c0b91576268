import { join } from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreFollower, type FollowerWork } from '../src/followers/store-follower.ts';

const STREAM = 'follower-test';
const kept = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Done'), data: z.object({ position: z.string() }) }),
  z.object({ type: z.literal('Sent'), data: z.object({ position: z.string() }) }),
]);
type Kept = z.infer<typeof kept>;

/** The position kept last in the follower's stream, as any instance reads it at start. */
async function keptPosition(store: EventStore): Promise<string | undefined> {
  const records = await store.readStream(STREAM);
  return records
    .filter((r) => r.type === 'Done')
    .map((r) => (r.data as { position: string }).position)
    .at(-1);
}

describe('a store follower overtaken while it sends', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given another instance took the lease and kept a later position while this one was sending, this one does not move the position back', async () => {
    const dir = tempDir('klaxon-store-follower-');
    const store = openSqliteEventStore(join(dir.path, 'events.db'));
    cleanups.push(
      () => dir.remove(),
      () => store.close(),
    );
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    await store.append('incident-a', [{ type: 'Opened', data: {} }], 'no_stream');
    // The work writes through its follower, made just below.
    const self: { follower?: StoreFollower<Kept> } = {};
    const sent: bigint[] = [];
    const work: FollowerWork<Kept> = {
      schema: kept,
      follows: (record) => record.streamId.startsWith('incident-'),
      readKept: (events) => {
        const done = events.filter((e) => e.type === 'Done').at(-1);
        return done ? { position: done.data.position === '' ? undefined : BigInt(done.data.position) } : undefined;
      },
      checkpoint: (position) => ({ type: 'Done', data: { position: String(position ?? '') } }),
      async take(record) {
        sent.push(record.position);
        // Meanwhile (this instance frozen past its lease), instance B took over, sent it and what came after
        // it, and kept a later position.
        const b = { holder: 'instance-b', until: new Date(clock.now().getTime() + 60_000).toISOString() };
        await store.append(
          STREAM,
          [
            { type: 'FollowerLeased', data: b },
            { type: 'Done', data: { position: String(record.position + 100n) } },
          ],
          'any',
        );
        // The fact its send must keep (Slack's message posted) is written whatever was written first: the
        // write reads B's lease and position on its way.
        await self.follower!.record({ type: 'Sent', data: { position: String(record.position) } });
        return 'sent';
      },
    };
    const follower = new StoreFollower(work, {
      store,
      streamId: STREAM,
      clock,
      logger: pino({ level: 'silent' }),
      what: 'a test step',
    });
    self.follower = follower;
    await store.append(STREAM, [{ type: 'Done', data: { position: '' } }], 'no_stream');

    await follower.step();

    const first = (await store.readAll({ limit: 1 }))[0]!.position;
    expect(sent).toEqual([first]);
    // B's position stands: a checkpoint of this instance's would have sent B's later records again.
    expect(await keptPosition(store)).toBe(String(first + 100n));
    expect(follower.holding).toBe(false);
  });
});
