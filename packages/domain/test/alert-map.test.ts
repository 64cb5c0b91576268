import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertMap, type AlertSeen, type Instant } from '../src/index.ts';

const firing = (startsAt: string): AlertSeen => ({ status: 'firing', startsAt: startsAt as Instant });
const resolved = (startsAt: string): AlertSeen => ({ status: 'resolved', startsAt: startsAt as Instant });

describe("an incident's alerts", () => {
  it('a version made from another leaves it as it was', () => {
    const one = AlertMap.empty().with([['disk', firing('2026-12-07T01:00:00Z')]]);
    const two = one.with([
      ['disk', resolved('2026-12-07T01:00:00Z')],
      ['cpu', firing('2026-12-07T01:05:00Z')],
    ]);
    expect(one.get('disk')).toEqual(firing('2026-12-07T01:00:00Z'));
    expect(one.has('cpu')).toBe(false);
    expect(one.size).toBe(1);
    expect(two.get('disk')).toEqual(resolved('2026-12-07T01:00:00Z'));
    expect(two.size).toBe(2);
  });

  it('a decision taken again on the state before a refused one sees nothing of it', () => {
    const before = AlertMap.empty().with([['disk', firing('2026-12-07T01:00:00Z')]]);
    const refused = before.with([['cpu', firing('2026-12-07T01:05:00Z')]]);
    const taken = before.with([['mem', firing('2026-12-07T01:06:00Z')]]);
    expect([...taken.keys()]).toEqual(['disk', 'mem']);
    expect([...refused.keys()]).toEqual(['disk', 'cpu']);
    expect(before.size).toBe(1);
  });

  it('lists alerts in the order first seen, and round-trips through a snapshot', () => {
    const map = AlertMap.empty()
      .with([
        ['b', firing('2026-12-07T01:00:00Z')],
        ['a', firing('2026-12-07T01:01:00Z')],
      ])
      .with([['b', resolved('2026-12-07T01:00:00Z')]]);
    expect(map.statuses()).toEqual({ b: 'resolved', a: 'firing' });
    const json = JSON.parse(JSON.stringify(map)) as Record<string, AlertSeen>;
    expect(json).toEqual({ b: resolved('2026-12-07T01:00:00Z'), a: firing('2026-12-07T01:01:00Z') });
    expect(AlertMap.fromJSON(json)).toEqual(map);
  });

  it('an alert that flaps all day reads as its last change, listed where it was first seen', () => {
    const versions = [AlertMap.empty().with([['steady', firing('2026-12-07T00:00:00Z')]])];
    for (let flap = 0; flap < 1000; flap++)
      versions.push(
        versions
          .at(-1)!
          .with([['flappy', flap % 2 === 0 ? firing('2026-12-07T01:00:00Z') : resolved('2026-12-07T01:00:00Z')]]),
      );
    const map = versions.at(-1)!;
    expect(map.size).toBe(2);
    expect(map.get('flappy')).toEqual(resolved('2026-12-07T01:00:00Z'));
    expect([...map.keys()]).toEqual(['steady', 'flappy']);
    // Versions from before and after the log was copied down still read as they were, and still change.
    for (const [n, version] of versions.entries())
      expect(version.status('flappy')).toBe(n === 0 ? undefined : n % 2 === 1 ? 'firing' : 'resolved');
    expect(versions[10]!.with([['cpu', firing('2026-12-07T02:00:00Z')]]).statuses()).toEqual({
      steady: 'firing',
      flappy: 'resolved',
      cpu: 'firing',
    });
  });

  it('every version reads as the plain map it stands for, whatever order versions were made in', () => {
    const fingerprint = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const seen = fc.record({
      status: fc.constantFrom('firing' as const, 'resolved' as const),
      startsAt: fc.constantFrom('2026-12-07T01:00:00Z', '2026-12-07T02:00:00.123Z') as fc.Arbitrary<Instant>,
    });
    // Each step makes a new version from an earlier one (by index), or mostly from the newest, as an
    // incident's decisions do: long lines of one log, past the point where it is copied down, with branches.
    const step = fc.record({
      from: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.nat(), weight: 1 }),
      changes: fc.array(fc.tuple(fingerprint, seen), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 40, maxLength: 120 }), (steps) => {
        const versions = [AlertMap.empty()];
        const models = [new Map<string, AlertSeen>()];
        for (const { from, changes } of steps) {
          const base = from === null ? versions.length - 1 : from % versions.length;
          versions.push(versions[base]!.with(changes));
          const model = new Map(models[base]);
          for (const [k, v] of changes) model.set(k, v);
          models.push(model);
        }
        versions.forEach((version, i) => {
          expect([...version]).toEqual([...models[i]!]);
          expect(version.size).toBe(models[i]!.size);
          for (const k of ['a', 'b', 'c', 'd', 'e']) {
            expect(version.get(k)).toEqual(models[i]!.get(k));
            expect(version.status(k)).toBe(models[i]!.get(k)?.status);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
