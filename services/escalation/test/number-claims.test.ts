import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { tempDir } from '@klaxon/testing';
import { afterEach, expect, it } from 'vitest';
import { INCIDENT_NUMBERS_STREAM, NumberClaims } from '../src/commands/number-claims.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * A store whose appends are counted, `instances` claimers on it (instances sharing the store), and a clock
 * the test moves (with timers on it).
 */
function claimsOnAStore(inUse: () => number = () => 0, instances = 1) {
  const dir = tempDir('klaxon-number-claims-');
  const store = openSqliteEventStore(dir.file('events.db'));
  cleanup.push(
    () => dir.remove(),
    () => store.close(),
  );
  let appends = 0;
  const counted: EventStore = {
    ...store,
    append: (...args) => (appends++, store.append(...args)),
  };
  let now = Date.parse('2026-12-07T10:00:00Z');
  let timers: Array<{ at: number; run: () => void }> = [];
  const all = Array.from(
    { length: instances },
    () =>
      new NumberClaims({
        store: counted,
        stream: INCIDENT_NUMBERS_STREAM,
        inUse,
        now: () => now,
        later: (run, ms) => {
          const timer = { at: now + ms, run };
          timers.push(timer);
          return () => (timers = timers.filter((t) => t !== timer));
        },
      }),
  );
  const turns = async () => {
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    store,
    claims: all,
    /** Appends to the store so far (claims among them). */
    appends: () => appends,
    /**
     * Takes a number (from the `instance`th claimer); `claimed` says whether this take waited for a claim
     * (an append on its way).
     */
    async take(instance = 0): Promise<{ number: number; claimed: boolean }> {
      const before = appends;
      const number = await all[instance]!.take();
      const claimed = appends > before;
      // A claim started ahead, in the background, goes through before the clock moves on.
      await turns();
      return { number, claimed };
    },
    /** Moves the clock, runs the timers due by then, and lets the claims they start go through. */
    async advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      const end = now;
      for (const t of due) {
        // Each runs at its own time, as a timer would.
        now = t.at;
        t.run();
      }
      now = end;
      await turns();
    },
  };
}

/**
 * Two instances on one store opening incidents in turn for `rounds`, each knowing of the other's incidents
 * (the highest number either has taken); the clock moves on after each opening or after each round.
 */
async function twoInstancesInTurn(rounds: number, pause: { afterTake?: number; afterRound?: number }) {
  let highest = 0;
  const h = claimsOnAStore(() => highest, 2);
  const taken: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const instance of [0, 1]) {
      const { number } = await h.take(instance);
      taken.push(number);
      highest = Math.max(highest, number);
      if (pause.afterTake) await h.advance(pause.afterTake);
    }
    if (pause.afterRound) await h.advance(pause.afterRound);
  }
  return { h, taken };
}

it('openings half a second apart wait for a claim only at first: then their numbers are claimed ahead, in order, without gaps', async () => {
  const h = claimsOnAStore();
  const taken: Array<{ number: number; claimed: boolean }> = [];
  for (let i = 0; i < 20; i++) {
    taken.push(await h.take());
    await h.advance(500);
  }
  expect(taken.map((t) => t.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  // Only the first waits for its claim (calm: one number); the second finds the number kept in hand after
  // it, and from then on the next block is claimed ahead.
  expect(taken.map((t) => t.claimed)).toEqual([true, ...Array<boolean>(19).fill(false)]);
  // Blocks claimed ahead hold no more than a few seconds' openings.
  const blocks = (await h.store.readStream(INCIDENT_NUMBERS_STREAM)).map(
    (e) => e.data as { first: number; last: number },
  );
  expect(Math.max(...blocks.map((b) => b.last - b.first + 1))).toBeLessThanOrEqual(10);
});

it('calm openings, minutes apart, take their number from hand: the next one alone is claimed after each, off its way', async () => {
  const h = claimsOnAStore();
  const taken: Array<{ number: number; claimed: boolean }> = [];
  for (let i = 0; i < 4; i++) {
    taken.push(await h.take());
    await h.advance(5 * 60_000);
  }
  // Only the first opening after start waits for a claim (the 3 a.m. page after it does not).
  expect(taken).toEqual([1, 2, 3, 4].map((number) => ({ number, claimed: number === 1 })));
  // One number at a time: a stop now leaves one unused (5), a gap of one.
  const blocks = (await h.store.readStream(INCIDENT_NUMBERS_STREAM)).map((e) => e.data);
  expect(blocks).toEqual([1, 2, 3, 4, 5].map((n) => ({ first: n, last: n })));
});

it("a calm opening's next number is claimed only after a while, not in the turns of its own page", async () => {
  const h = claimsOnAStore();
  expect(await h.take()).toEqual({ number: 1, claimed: true });
  // Its append, the after-commit step and the page take these turns: no claim among them.
  expect(await h.store.readStream(INCIDENT_NUMBERS_STREAM)).toHaveLength(1);
  await h.advance(249);
  expect(await h.store.readStream(INCIDENT_NUMBERS_STREAM)).toHaveLength(1);
  await h.advance(1);
  expect((await h.store.readStream(INCIDENT_NUMBERS_STREAM)).map((e) => e.data)).toEqual([
    { first: 1, last: 1 },
    { first: 2, last: 2 },
  ]);
});

it("a number kept in hand for calm openings is given up once another instance's incident passes it", async () => {
  let inUse = 0;
  const h = claimsOnAStore(() => inUse);
  inUse = (await h.take()).number;
  await h.advance(60_000);
  const claims = async () => (await h.store.readStream(INCIDENT_NUMBERS_STREAM)).map((e) => e.data);
  expect(await claims()).toEqual([
    { first: 1, last: 1 },
    { first: 2, last: 2 },
  ]);
  // Number 2 is in hand; another instance opens 3.
  inUse = 3;
  expect(await h.take()).toEqual({ number: 4, claimed: true });
  expect((await claims()).at(-1)).toEqual({ first: 4, last: 4 });
});

it('two instances opening calm incidents in turn never give one number twice, each keeping one in hand', async () => {
  const { taken } = await twoInstancesInTurn(10, { afterTake: 60_000 });
  expect(new Set(taken).size).toBe(20);
  // Rising: each instance's number in hand is passed by the other's opening, given up and claimed past.
  expect(taken).toEqual([...taken].sort((x, y) => x - y));
});

it("numbers left in hand after a trickle are used by the next opening, however much later, until another instance's incident passes them", async () => {
  let inUse = 0;
  const h = claimsOnAStore(() => inUse);
  for (let i = 0; i < 6; i++) {
    inUse = (await h.take()).number;
    await h.advance(500);
  }
  const claimed = (await h.store.readStream(INCIDENT_NUMBERS_STREAM)).map((e) => e.data as { last: number });
  const highestClaimed = Math.max(...claimed.map((b) => b.last));
  expect(highestClaimed).toBeGreaterThan(7);

  // An hour later, alone: the next number in hand, no gap and no claim.
  await h.advance(3_600_000);
  expect(await h.take()).toEqual({ number: 7, claimed: false });
  inUse = 7;

  // Then another instance opens an incident with a higher number: what is left in hand would go back in
  // order, so it is given up, and the next opening claims past that number.
  await h.advance(3_600_000);
  inUse = highestClaimed + 5;
  const after = await h.take();
  expect(after).toEqual({ number: highestClaimed + 6, claimed: true });
});

it("two instances taking numbers in turn while openings keep coming pass each other's blocks without claiming again for each opening", async () => {
  const { h, taken } = await twoInstancesInTurn(300, { afterRound: 10 });
  expect(new Set(taken).size).toBe(600);
  expect((await h.store.readStream(INCIDENT_NUMBERS_STREAM)).length).toBeLessThan(40);
});

it('a stopped instance claims nothing more: the number for the next calm opening is not claimed after a stop', async () => {
  const h = claimsOnAStore();
  expect(await h.take()).toEqual({ number: 1, claimed: true });
  // The calm opening took the last number in hand: the next is due CALM_RESERVE_AFTER_MS later.
  await h.claims[0]!.stop();
  const before = h.appends();
  await h.advance(1000);
  expect(h.appends()).toBe(before);
  expect(await h.store.readStream(INCIDENT_NUMBERS_STREAM)).toHaveLength(1);
});

it('without a stop, the same calm opening has the next number claimed after it', async () => {
  const h = claimsOnAStore();
  await h.take();
  await h.advance(1000);
  expect(await h.store.readStream(INCIDENT_NUMBERS_STREAM)).toHaveLength(2);
});
