import { describe, expect, it } from 'vitest';
import { commitPacer, type CommitPacing } from '../src/commit-pacing.ts';

const pacing: CommitPacing = { holdMs: 4, busyAppends: 4, withinMs: 5, maxBatch: 3 };

/** A pacer whose clock the test sets. `batch(at, n)`: n appends joining one batch at `at`, what each was told. */
function pacerAt() {
  let now = 0;
  const pacer = commitPacer(pacing, () => now);
  return {
    batch: (at: number, n = 1) => {
      now = at;
      return Array.from({ length: n }, (_, i) => pacer.arrived(i + 1));
    },
  };
}

describe('commit pacing (when a group commit of the SQLite store goes)', () => {
  it('commits an append after a quiet spell on the next turn, without holding it', () => {
    expect(pacerAt().batch(1000)).toEqual(['next-turn']);
  });

  it("does not hold the few appends of one incident's opening (a number claim, the opening, its page)", () => {
    const p = pacerAt();
    for (const at of [1000, 1001, 1002]) expect(p.batch(at)).toEqual(['next-turn']);
  });

  it('does not hold a lone writer appending one after another, however fast: its batches never overlap', () => {
    const p = pacerAt();
    for (let i = 0; i < 20; i++) expect(p.batch(1000 + i * 0.5)).toEqual(['next-turn']);
  });

  it('holds a new batch while appends keep coming and batches have company, so that the next ones share its commit', () => {
    const p = pacerAt();
    expect(p.batch(1000)).toEqual(['next-turn']);
    expect(p.batch(1001, 2)).toEqual(['next-turn', undefined]);
    // Four appends within 5 ms, and a batch of two among the last: held, and joining it changes nothing.
    expect(p.batch(1002, 2)).toEqual([4, undefined]);
  });

  it('commits a held batch at once when it is full', () => {
    const p = pacerAt();
    p.batch(1000, 2);
    p.batch(1001, 1);
    expect(p.batch(1002, 4)).toEqual([4, undefined, 'now', undefined]);
  });

  it('stops holding when the stream thins out', () => {
    const p = pacerAt();
    p.batch(1000, 2);
    p.batch(1001);
    expect(p.batch(1002, 2)).toEqual([4, undefined]);
    // Three of the last four appends arrived more than 5 ms before this one.
    expect(p.batch(1008)).toEqual(['next-turn']);
    expect(p.batch(1030)).toEqual(['next-turn']);
  });

  it('stops holding once the last batches went alone', () => {
    const p = pacerAt();
    p.batch(1000, 2);
    for (let i = 1; i <= 4; i++) p.batch(1000 + i * 0.5);
    expect(p.batch(1003)).toEqual(['next-turn']);
  });

  it('never holds with holdMs 0', () => {
    let now = 0;
    const pacer = commitPacer({ ...pacing, holdMs: 0 }, () => now);
    for (let i = 0; i < 10; i++) {
      now = i * 0.1;
      expect([pacer.arrived(1), pacer.arrived(2)]).toEqual(['next-turn', undefined]);
    }
  });
});
