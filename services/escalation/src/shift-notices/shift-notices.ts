import {
  dueShiftNotices,
  nextShiftNoticeAt,
  shiftNoticeEventSchema,
  shiftNoticesStream,
  toInstant,
  type ScheduleSpec,
  type ShiftNoticeEvent,
} from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { NoticeSender } from '../paging/notices.ts';
import { startDueLoop } from '../timers/due-loop.ts';

const WEEK_MS = 7 * 86_400_000;

/**
 * "Your shift starts in 1 h": for each contact with `shiftNotice`, one notice before each of their shifts.
 * The notice is recorded before it is sent, at the stream's expected revision: two instances, or a restart
 * after the record, never send it twice (a crash between the record and the send loses that one notice:
 * a reminder, unlike a page, is better missed than doubled).
 */
export class ShiftNotices {
  private loop: { stop(): void } | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: EventStore;
      schedules: Record<string, ScheduleSpec>;
      /** Contacts who asked for a notice, and how long before each shift. */
      noticeBefore: Record<string, number>;
      notices: NoticeSender;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  runDue(): Promise<void> {
    this.running ??= this.sendDue().finally(() => (this.running = undefined));
    return this.running;
  }

  nextDueAt(): number | undefined {
    const now = toInstant(this.deps.clock.now());
    let next: number | undefined;
    for (const [person, noticeMs] of Object.entries(this.deps.noticeBefore)) {
      const due = nextShiftNoticeAt(person, this.deps.schedules, noticeMs, now, noticeMs + WEEK_MS);
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  startLoop(maxSleepMs = 60_000): void {
    this.loop = startDueLoop(
      this,
      this.deps.clock,
      (error) => this.deps.logger.error({ err: error }, 'shift notices failed; retrying'),
      maxSleepMs,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    await this.running;
  }

  private async sendDue(): Promise<void> {
    for (const [person, noticeMs] of Object.entries(this.deps.noticeBefore)) {
      const stream = shiftNoticesStream(person);
      const recorded = await this.deps.store.readStream(stream);
      const noticed: ShiftNoticeEvent[] = recorded.flatMap((r) => {
        const parsed = shiftNoticeEventSchema.safeParse({ type: r.type, data: r.data });
        return parsed.success ? [parsed.data] : [];
      });
      let revision = recorded.at(-1)?.revision;
      const now = toInstant(this.deps.clock.now());
      for (const shift of dueShiftNotices(person, this.deps.schedules, noticeMs, now, noticed)) {
        const event: ShiftNoticeEvent = {
          type: 'ShiftNoticeSent',
          data: { schedule: shift.schedule, shiftStart: shift.from, at: now },
        };
        const appended = await this.deps.store.append(stream, [event], revision ?? 'no_stream');
        // Another instance recorded a notice first: it sends; this one looks again next time.
        if (!appended.ok) break;
        revision = appended.value.nextExpectedRevision;
        const minutes = Math.round((Date.parse(shift.from) - Date.parse(now)) / 60_000);
        const sent = await this.deps.notices.send(person, {
          subject: `Your ${shift.schedule} shift starts in ${minutes} min`,
          text: `Klaxon: your on-call shift on ${shift.schedule} starts at ${shift.from.slice(0, 16).replace('T', ' ')}Z (in ${minutes} min) and runs until ${shift.to.slice(0, 16).replace('T', ' ')}Z.`,
        });
        if (!sent.ok) this.deps.logger.warn({ person, shift, err: sent.error }, 'shift notice not delivered');
      }
    }
  }
}
