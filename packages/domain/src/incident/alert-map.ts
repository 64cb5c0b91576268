import type { Instant } from '../time/instant.ts';

/** An alert of the incident, as it last said. */
export interface AlertSeen {
  status: 'firing' | 'resolved';
  /**
   * When it last started, as it said: a firing alert delivered again after its incident resolved carries
   * the same start and is the same alert, not the group's next occurrence.
   */
  startsAt: Instant;
}

// An alert is kept as one string, its start, marked when resolved: an instant never starts with the mark.
const RESOLVED = '!';
const encode = ({ status, startsAt }: AlertSeen): string => (status === 'firing' ? startsAt : RESOLVED + startsAt);
// A log holding this many changes beyond one per alert (alerts that flap) is copied down to one per alert.
const SLACK = 64;

const decode = (kept: string): AlertSeen =>
  kept.startsWith(RESOLVED)
    ? { status: 'resolved', startsAt: kept.slice(1) as Instant }
    : { status: 'firing', startsAt: kept as Instant };

/**
 * Every change ever made to a line of maps, in order: what each version of the line sees is the changes
 * before its length. `latest` names each fingerprint's newest change, `earlier` the one before it of the
 * same fingerprint, for the few alerts that changed (most are seen once, firing, and never again).
 */
class ChangeLog {
  length = 0;
  readonly kept: string[] = [];
  readonly earlier = new Map<number, number>();
  readonly latest = new Map<string, number>();
  // Alerts that come together mostly started together: a run of equal starts keeps one string, not one
  // each (a string per alert parsed from its record), and every string kept is one more for the garbage
  // collector to move and mark.
  #last: string | undefined;

  add(fingerprint: string, kept: string): void {
    const before = this.latest.get(fingerprint);
    if (before !== undefined) this.earlier.set(this.length, before);
    this.latest.set(fingerprint, this.length);
    const shared = kept === this.#last ? this.#last : kept;
    this.#last = shared;
    this.kept.push(shared);
    this.length++;
  }
}

/**
 * An incident's alerts by fingerprint: a persistent map, each version unchanged by the versions made from
 * it, in a fraction of the memory of a general one. A storm's incidents keep hundreds of thousands of alerts,
 * and everything kept is what the garbage collector marks, on the cores that take and page them.
 *
 * The versions of one line share one log of changes: a version is the log up to its length, so a change
 * made to the newest version appends, and costs about a map entry. Changing an older version copies what
 * it sees into a log of its own: once per append the store refused, when the winner's events are folded
 * onto the state the refused decision had already extended. Iteration is in the order each fingerprint
 * was first seen, whatever the line's history.
 */
export class AlertMap implements Iterable<[string, AlertSeen]> {
  static empty(): AlertMap {
    return new AlertMap(new ChangeLog(), 0, 0);
  }

  static fromJSON(json: Record<string, AlertSeen>): AlertMap {
    return AlertMap.empty().with(Object.entries(json));
  }

  readonly #log: ChangeLog;
  readonly #length: number;
  readonly #size: number;

  private constructor(log: ChangeLog, length: number, size: number) {
    this.#log = log;
    this.#length = length;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  get(fingerprint: string): AlertSeen | undefined {
    const at = this.#find(fingerprint);
    return at === undefined ? undefined : decode(this.#log.kept[at]!);
  }

  /** Its status alone, without making the whole `AlertSeen`. */
  status(fingerprint: string): AlertSeen['status'] | undefined {
    const at = this.#find(fingerprint);
    if (at === undefined) return undefined;
    return this.#log.kept[at]!.startsWith(RESOLVED) ? 'resolved' : 'firing';
  }

  has(fingerprint: string): boolean {
    return this.#find(fingerprint) !== undefined;
  }

  /** This map with `changes` made, in order; this one is unchanged. */
  with(changes: Iterable<readonly [string, AlertSeen]>): AlertMap {
    const log = this.#log.length === this.#length ? this.#log : this.#copy();
    let size = this.#size;
    for (const [fingerprint, seen] of changes) {
      if (!log.latest.has(fingerprint)) size++;
      log.add(fingerprint, encode(seen));
    }
    const changed = new AlertMap(log, log.length, size);
    return log.length > 2 * size + SLACK ? new AlertMap(changed.#copy(), size, size) : changed;
  }

  *[Symbol.iterator](): IterableIterator<[string, AlertSeen]> {
    for (const fingerprint of this.#log.latest.keys()) {
      const at = this.#find(fingerprint);
      if (at !== undefined) yield [fingerprint, decode(this.#log.kept[at]!)];
    }
  }

  entries(): IterableIterator<[string, AlertSeen]> {
    return this[Symbol.iterator]();
  }

  *keys(): IterableIterator<string> {
    for (const [fingerprint] of this) yield fingerprint;
  }

  *values(): IterableIterator<AlertSeen> {
    for (const [, seen] of this) yield seen;
  }

  /** Each alert's status by fingerprint, as the API shows them. */
  statuses(): Record<string, AlertSeen['status']> {
    const statuses: Record<string, AlertSeen['status']> = {};
    for (const [fingerprint, { status }] of this) statuses[fingerprint] = status;
    return statuses;
  }

  /** As a snapshot keeps it: a plain object. */
  toJSON(): Record<string, AlertSeen> {
    return Object.fromEntries(this);
  }

  /** The newest change of `fingerprint` this version sees. */
  #find(fingerprint: string): number | undefined {
    let at = this.#log.latest.get(fingerprint);
    while (at !== undefined && at >= this.#length) at = this.#log.earlier.get(at);
    return at;
  }

  /** A log of this version's own, one change per fingerprint, in the order they were first seen. */
  #copy(): ChangeLog {
    const log = new ChangeLog();
    for (const [fingerprint, seen] of this) log.add(fingerprint, encode(seen));
    return log;
  }
}
