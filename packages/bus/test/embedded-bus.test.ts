import { copyFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { openSqliteFile } from '@klaxon/sqlite';
import { tempDir } from '@klaxon/testing';
import { BusUnavailableError, deadLetterTopicOf, offsetsFileOf, openEmbeddedBus } from '../src/index.ts';
import { busContract } from './contract/bus-contract.ts';
import { runRecorder } from './contract/run-recorder.ts';

const silent = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

busContract('embedded durable log', async () => {
  const dir = tempDir('klaxon-bus-');
  const open = () => openEmbeddedBus(dir.file('bus.db'), { pollMs: 20, retryDelayMs: 20 });
  let bus = open();
  return {
    bus,
    async reopen() {
      await bus.close();
      bus = open();
      return bus;
    },
    async dispose() {
      await bus.close().catch(() => undefined);
      dir.remove();
    },
  };
});

describe('the embedded log fed by another process', () => {
  it('a consumer asleep between polls wakes by its own timer, even after a garbage collection, and takes what another process published', async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 50, retryDelayMs: 20 });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    try {
      const seen: unknown[] = [];
      const consumer = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void seen.push(r.value) });
      // The consumer is asleep now, waiting for a publish of its own instance or its poll timer.
      await new Promise((r) => setTimeout(r, 20));
      gc();
      const published = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `import { openEmbeddedBus } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).pathname)};
           const bus = openEmbeddedBus(${JSON.stringify(dir.file('bus.db'))});
           await bus.publish('t', [{ key: 'a', value: 'from another process' }]);
           await bus.close();`,
        ],
        { encoding: 'utf8' },
      );
      expect(published.status, published.stderr).toBe(0);
      await expect.poll(() => seen, { timeout: 3000 }).toEqual(['from another process']);
      await consumer.stop();
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});

describe('the embedded log and its consumer offsets', () => {
  it('a publish does not wait while a consumer commits its offset: the offsets have a file of their own', async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 });
    // Holds the offsets' write lock, as a consumer's commit does while it runs.
    const committing = openSqliteFile(offsetsFileOf(dir.file('bus.db')), { synchronous: 'NORMAL' });
    committing.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      await bus.publish('t', [{ key: 'a', value: 1 }]);
      // Sharing the log's lock, the publish slept in SQLite's busy wait until the lock's 10 s timeout.
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      committing.exec('ROLLBACK');
      committing.close();
      await bus.close();
      dir.remove();
    }
  });

  it('a consumer resumes from the offset a log from before the offsets file committed', async () => {
    const dir = tempDir('klaxon-bus-');
    try {
      const first = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 });
      await first.publish('t', [
        { key: 'a', value: 1 },
        { key: 'a', value: 2 },
        { key: 'a', value: 3 },
      ]);
      await first.close();
      // As that layout left it: the offset in the log's own file, past the first two records.
      const log = openSqliteFile(dir.file('bus.db'), { synchronous: 'FULL' });
      log.prepare("INSERT INTO consumer_offsets (grp, topic, offset) VALUES ('g', 't', 2)").run();
      log.close();
      rmSync(offsetsFileOf(dir.file('bus.db')), { force: true });

      const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 });
      const seen: unknown[] = [];
      const consumer = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void seen.push(r.value) });
      await until(() => seen.length >= 1);
      await consumer.stop();
      expect(seen).toEqual([3]);
      // From then on the offsets' file has it: a consumer after this one takes nothing again.
      const again: unknown[] = [];
      const after = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void again.push(r.value) });
      await new Promise((r) => setTimeout(r, 100));
      await after.stop();
      await bus.close();
      expect(again).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});

describe('the embedded log replaced under its kept offsets', () => {
  const consumeAll = async (bus: ReturnType<typeof openEmbeddedBus>, count: number) => {
    const seen: unknown[] = [];
    const consumer = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void seen.push(r.value) });
    await until(() => seen.length >= count);
    await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
    return seen;
  };
  const publishAll = (bus: ReturnType<typeof openEmbeddedBus>, values: unknown[]) =>
    bus.publish(
      't',
      values.map((value) => ({ key: 'a', value })),
    );
  const removeLog = (file: string) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  };

  it('a bus.db deleted and made again: its consumers get every record of the new log, not only those past the old offset', async () => {
    const dir = tempDir('klaxon-bus-');
    const file = dir.file('bus.db');
    try {
      const old = openEmbeddedBus(file, { pollMs: 10 });
      await publishAll(old, [1, 2, 3]);
      expect(await consumeAll(old, 3)).toEqual([1, 2, 3]);
      await old.close();
      // As `rm data/bus.db*` leaves it: bus.offsets.db stays, with offset 3.
      removeLog(file);
      const warnings: string[] = [];
      const bus = openEmbeddedBus(file, { pollMs: 10, logger: { ...silent, warn: (_f, m) => void warnings.push(m) } });
      await publishAll(bus, [10, 20, 30, 40, 50]);
      expect(await consumeAll(bus, 5)).toEqual([10, 20, 30, 40, 50]);
      await bus.close();
      expect(warnings).toEqual([expect.stringContaining('kept for another log')]);
    } finally {
      dir.remove();
    }
  });

  it('a bus.db restored from an older copy: a record published after it is delivered, though its offset was passed before', async () => {
    const dir = tempDir('klaxon-bus-');
    const file = dir.file('bus.db');
    try {
      const first = openEmbeddedBus(file, { pollMs: 10 });
      await publishAll(first, [1, 2]);
      await first.close();
      copyFileSync(file, dir.file('bus.db.copy'));
      const later = openEmbeddedBus(file, { pollMs: 10 });
      await publishAll(later, [3, 4, 5]);
      expect(await consumeAll(later, 5)).toEqual([1, 2, 3, 4, 5]);
      await later.close();
      // The copy back, the offsets file (offset 5) as it was.
      removeLog(file);
      copyFileSync(dir.file('bus.db.copy'), file);
      const restored = openEmbeddedBus(file, { pollMs: 10 });
      await restored.publish('t', [{ key: 'a', value: 'after the restore' }]);
      // Delivered; so are the copy's records again (it kept no offset of its own): at least once, none skipped.
      expect(await consumeAll(restored, 3)).toEqual([1, 2, 'after the restore']);
      await restored.close();
    } finally {
      dir.remove();
    }
  });
});

describe('the embedded log when its file refuses writes', () => {
  it('a consumer whose offset commit fails reports it, backs off, and goes on once the file takes writes again', async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 20 });
    // A consumer opens the offsets' file; another connection to it then makes every offset commit fail, as a
    // full or read-only disk would.
    await (await bus.consume({ topic: 'other', group: 'g', handle: async () => {} })).stop();
    const other = openSqliteFile(offsetsFileOf(dir.file('bus.db')), { synchronous: 'FULL' });
    other.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON consumer_offsets BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
    try {
      await bus.publish('t', [{ key: 'a', value: 1 }]);
      const seen: unknown[] = [];
      const errors: Error[] = [];
      const consumer = await bus.consume({
        topic: 't',
        group: 'g',
        handle: async (r) => void seen.push(r.value),
        onError: (e) => errors.push(e as Error),
      });
      await until(() => errors.length >= 2);
      other.exec('DROP TRIGGER refuse');
      await bus.publish('t', [{ key: 'b', value: 2 }]);
      await until(() => seen.includes(2));
      await consumer.stop();
      expect(errors[0]!.message).toBe('disk says no');
      // Handled but not committed, so offered again: at-least-once, never lost.
      expect(seen.filter((v) => v === 1).length).toBeGreaterThanOrEqual(2);
      const again: unknown[] = [];
      const after = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void again.push(r.value) });
      await new Promise((r) => setTimeout(r, 100));
      await after.stop();
      expect(again).toEqual([]);
    } finally {
      other.close();
      await bus.close();
      dir.remove();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the embedded log commits concurrent publishes together', () => {
  it('publishes of one moment share a commit: all resolve once durable, each key in order, and a refused commit refuses them all', async () => {
    const dir = tempDir('klaxon-bus-');
    const open = () => openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 });
    let bus = open();
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => bus.publish('t', [{ key: `k${i % 4}`, value: i }])));
      await bus.close();
      bus = open();
      const seen: Array<{ key: string; value: unknown }> = [];
      const consumer = await bus.consume({
        topic: 't',
        group: 'g',
        handle: async (r) => void seen.push({ key: r.key, value: r.value }),
      });
      await until(() => seen.length === 40);
      await consumer.stop();
      for (let k = 0; k < 4; k++)
        expect(seen.filter((r) => r.key === `k${k}`).map((r) => r.value)).toEqual(
          Array.from({ length: 10 }, (_, j) => k + 4 * j),
        );

      const other = openSqliteFile(dir.file('bus.db'), { synchronous: 'FULL' });
      other.exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.value = '13' BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
      );
      const outcomes = await Promise.allSettled([11, 12, 13].map((value) => bus.publish('t', [{ key: 'x', value }])));
      other.close();
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(BusUnavailableError);
      const after: unknown[] = [];
      const again = await bus.consume({ topic: 't', group: 'g2', handle: async (r) => void after.push(r.value) });
      await until(() => after.length === 40);
      await new Promise((r) => setTimeout(r, 50));
      await again.stop();
      expect(after).toHaveLength(40);
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});

describe('the embedded log hands out the keys of a batch side by side', () => {
  it('a slow key does not hold the others back; each key stays in order; a handler that throws gets its record again, and nothing handled is skipped', async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await bus.publish('t', [{ key: `k${i % 3}`, value: i }]);
    };
    try {
      await publish(0, 30);
      const seen: Array<{ key: string; value: number }> = [];
      let releaseSlow = () => {};
      const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
      let failOnce = true;
      const consumer = await bus.consume({
        topic: 't',
        group: 'g',
        handle: async (r) => {
          const value = r.value as number;
          if (value === 0) await slow;
          if (value === 37 && failOnce) {
            failOnce = false;
            throw new Error('not yet');
          }
          seen.push({ key: r.key, value });
        },
      });
      await until(() => seen.some((r) => r.value === 28) && seen.some((r) => r.value === 29));
      expect(seen.filter((r) => r.key === 'k0')).toEqual([]);
      releaseSlow();
      await until(() => seen.some((r) => r.value === 27));

      // 37 (k1) throws once: it comes again after a pause, and nothing after it is committed before it is.
      await publish(30, 60);
      await until(() => [57, 58, 59].every((v) => seen.some((r) => r.value === v)));
      await consumer.stop();
      for (let k = 0; k < 3; k++) {
        const values = seen.filter((r) => r.key === `k${k}`).map((r) => r.value);
        expect([...new Set(values)].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, j) => k + 3 * j));
        // In order, except that a redelivery starts again from an earlier record.
        const restarts = values.filter((v, i) => i > 0 && v <= values[i - 1]!);
        expect(restarts.every((v) => v >= 30)).toBe(true);
      }
      expect(seen.filter((r) => r.value === 37)).toHaveLength(1);
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});

describe('the embedded log hands a handler that takes runs all of one key at once', () => {
  it("a key's records of a batch come as one run; a run that throws comes again whole; one with a record that cannot be handled goes one by one, and only that record is dead-lettered", async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
    try {
      const values: Array<[string, string]> = [
        ['a', 'a0'],
        ['b', 'b0'],
        ['a', 'a1'],
        ['a', 'bad'],
        ['b', 'b1'],
        ['a', 'a3'],
      ];
      for (const [key, value] of values) await bus.publish('t', [{ key, value }]);
      const { runs, one, handleRun, handle } = runRecorder('b0');
      const consumer = await bus.consume({ topic: 't', group: 'g', handleRun, handle });
      const dead: unknown[] = [];
      const deadConsumer = await bus.consume({
        topic: deadLetterTopicOf('t'),
        group: 'd',
        handle: async (r) => void dead.push(r.value),
      });
      await until(() => runs.filter((r) => r[0] === 'b0').length === 2 && one.length === 3 && dead.length === 1);
      await Promise.all([consumer.stop(), deadConsumer.stop()]);
      expect(runs.filter((r) => r[0] === 'a0')[0]).toEqual(['a0', 'a1', 'bad', 'a3']);
      expect(runs.filter((r) => r[0] === 'b0')).toEqual([
        ['b0', 'b1'],
        ['b0', 'b1'],
      ]);
      expect(one).toEqual(['a0', 'a1', 'a3']);
      expect(dead).toEqual(['bad']);
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});

describe('the embedded log takes records as they come, not a batch at a time', () => {
  it("a new key's record published while another key's run is in hand is handled at once; the busy key's next record waits its turn; the offset passes both only once both are handled", async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
    try {
      // Given a storm's key whose run is in hand (its handling has not returned)
      await bus.publish('t', [{ key: 'storm', value: 'storm-1' }]);
      const seen: string[] = [];
      let entered!: () => void;
      const inHand = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const consumer = await bus.consume({
        topic: 't',
        group: 'g',
        handle: async (r) => {
          if (r.value === 'storm-1') {
            entered();
            await gate;
          }
          seen.push(r.value as string);
        },
      });
      await inHand;
      // When a new group's first alert and the storm's next record are published
      await bus.publish('t', [
        { key: 'storm', value: 'storm-2' },
        { key: 'new-group', value: 'new-1' },
      ]);
      // Then the new group's record is handled while the storm's run is still in hand, and the storm's next one is not
      await until(() => seen.includes('new-1'));
      expect(seen).toEqual(['new-1']);
      release();
      await until(() => seen.length === 3);
      expect(seen).toEqual(['new-1', 'storm-1', 'storm-2']);
      await consumer.stop();
      // And the group's offset is past all three: a restart of the group gets none of them again
      const again: unknown[] = [];
      const after = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void again.push(r.value) });
      await bus.publish('t', [{ key: 'later', value: 'later-1' }]);
      await until(() => again.length > 0);
      await after.stop();
      expect(again).toEqual(['later-1']);
    } finally {
      await bus.close();
      dir.remove();
    }
  });

  it('commits no further than the first record not handled, while records of other keys behind it are handled', async () => {
    const dir = tempDir('klaxon-bus-');
    const bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
    try {
      // Given a record retried through an outage, and records of other keys behind it that are handled
      await bus.publish('t', [
        { key: 'stuck', value: 's1' },
        { key: 'a', value: 'a1' },
        { key: 'b', value: 'b1' },
      ]);
      const seen: string[] = [];
      let tries = 0;
      const consumer = await bus.consume({
        topic: 't',
        group: 'g',
        handle: async (r) => {
          if (r.value === 's1') {
            tries++;
            throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
          }
          seen.push(r.value as string);
        },
        dependencyDown: async () => true,
      });
      await until(() => seen.length === 2 && tries >= 3);
      // When the consumer stops with it still not handled
      await consumer.stop();
      // Then the group, taken up again, gets it and those behind it again: nothing is passed unhandled
      const again: unknown[] = [];
      const other = await bus.consume({ topic: 't', group: 'g', handle: async (r) => void again.push(r.value) });
      await until(() => again.length === 3);
      await other.stop();
      expect(seen.sort()).toEqual(['a1', 'b1']);
      expect(again).toEqual(['s1', 'a1', 'b1']);
    } finally {
      await bus.close();
      dir.remove();
    }
  });
});
