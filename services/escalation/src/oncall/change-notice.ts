import { DateTime } from 'luxon';
import type { Actor, Instant } from '@klaxon/domain';

type Window = { from: Instant; to: Instant };

const windows = (list: Window[], zone: string) =>
  list
    .map((w) => {
      const [from, to] = [DateTime.fromISO(w.from, { zone }), DateTime.fromISO(w.to, { zone })];
      const end = from.hasSame(to, 'day') ? to.toFormat('HH:mm') : to.toFormat('ccc d LLL HH:mm');
      return `${from.toFormat('ccc d LLL HH:mm')}–${end}`;
    })
    .join(', ');

/** What a person is told when someone else's change moves their on-call time: what, when (in their zone), who. */
export function changeNotice(change: {
  schedule: string;
  actor: Actor;
  gained: Window[];
  lost: Window[];
  timezone: string;
}): { subject: string; text: string } {
  const { schedule, actor, gained, lost, timezone } = change;
  const parts = [
    ...(gained.length > 0 ? [`you are now on call ${windows(gained, timezone)}`] : []),
    ...(lost.length > 0 ? [`you are no longer on call ${windows(lost, timezone)}`] : []),
  ];
  return {
    subject: `On-call change in ${schedule}`,
    text: `Klaxon: ${actor.name} changed ${schedule}: ${parts.join('; ')} (${timezone}).`,
  };
}
