import { describe, expect, it } from 'vitest';
import { commitPacer, type CommitPacing } from '../src/commit-pacing.ts';

const pacing: CommitPacing = { holdMs: 4, busyAppends: 4, withinMs: 5, maxBatch: 3 };

/** A pacer whose clock the test sets; `flushed` models the store taking the pending batch. */
function pacerAt(start = 1000) {
  let now = start;
  const pacer = commitPacer(pacing, () => now);
  return {
    at: (ms: number) => (now = ms),
    arrive: (pending: number) => pacer.arrived(pending),
  };
}

describe('commit pacing (when a group commit of the SQLite store goes)', () => {
  it('commits an append after a quiet spell on the next turn, without holding it', () => {
    const p = pacerAt();
    expect(p.arrive(1)).toBe('next-turn');
  });

  it("does not hold the few appends of one incident's opening (a number claim, the opening, its page)", () => {
    const p = pacerAt();
    expect(p.arrive(1)).toBe('next-turn');
    p.at(1001);
    expect(p.arrive(1)).toBe('next-turn');
    p.at(1002);
    expect(p.arrive(1)).toBe('next-turn');
  });

  it('holds a new batch while appends keep coming, so that the next ones share its commit', () => {
    const p = pacerAt();
    for (const at of [1000, 1001, 1002]) {
      p.at(at);
      expect(p.arrive(1)).toBe('next-turn');
    }
    p.at(1003);
    expect(p.arrive(1)).toBe(4);
    // Joining a held batch changes nothing until it is full.
    p.at(1004);
    expect(p.arrive(2)).toBeUndefined();
  });

  it('commits a held batch at once when it is full', () => {
    const p = pacerAt();
    for (const at of [1000, 1001, 1002]) {
      p.at(at);
      p.arrive(1);
    }
    p.at(1003);
    expect(p.arrive(1)).toBe(4);
    expect(p.arrive(2)).toBeUndefined();
    expect(p.arrive(3)).toBe('now');
    // Said once: the flush it asked for takes whatever joins before it runs.
    expect(p.arrive(4)).toBeUndefined();
  });

  it('stops holding when the stream thins out', () => {
    const p = pacerAt();
    for (const at of [1000, 1001, 1002, 1003]) {
      p.at(at);
      p.arrive(1);
    }
    // Three of the last four appends arrived more than 5 ms before this one.
    p.at(1007);
    expect(p.arrive(1)).toBe('next-turn');
    p.at(1030);
    expect(p.arrive(1)).toBe('next-turn');
  });

  it('never holds with holdMs 0', () => {
    let now = 0;
    const pacer = commitPacer({ ...pacing, holdMs: 0 }, () => now++);
    for (let i = 0; i < 10; i++) expect(pacer.arrived(1)).toBe('next-turn');
  });
});
