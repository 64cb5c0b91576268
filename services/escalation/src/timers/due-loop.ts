import type { Clock } from '@klaxon/service-kit';

export interface DueWork {
  /** Does what is due now; concurrent calls share one run. */
  runDue(): Promise<void>;
  /** When something is next due (epoch ms), if anything is. */
  nextDueAt(): number | undefined;
}

/**
 * Wall-clock operation of work that knows when it is next due (timers, heartbeat checks, shift notices):
 * wake at the next due time, and at least every `maxSleepMs` to see what arrived meanwhile. A failed run is
 * reported and the loop goes on; the work owns its failures.
 */
export function startDueLoop(
  work: DueWork,
  clock: Clock,
  onError: (error: unknown) => void,
  maxSleepMs: number,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      await work.runDue();
    } catch (error) {
      onError(error);
    }
    if (stopped) return;
    const next = work.nextDueAt();
    const now = clock.now().getTime();
    timer = setTimeout(tick, next === undefined ? maxSleepMs : Math.max(0, Math.min(maxSleepMs, next - now)));
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
