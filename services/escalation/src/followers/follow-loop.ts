import type { Clock, Logger } from '@klaxon/service-kit';

/** What one step of a follower did: moved on, found nothing, or waits for a retry at a time. */
export type StepResult = 'idle' | 'progress' | { retryAt: Date };

export interface FollowLoop {
  start(): void;
  stop(): Promise<void>;
  /** Steps now rather than after the pause (a replay asked for, a stop). */
  wake(): void;
}

/**
 * Runs a follower's step again and again: at once after progress, after `pollMs` when idle, at the retry
 * time when one is due sooner. A step that throws (the store or the far end unreachable) is tried again
 * with backoff from where the follower's kept position says.
 */
export function followLoop(
  step: () => Promise<StepResult>,
  o: { pollMs: number; clock: Clock; logger: Logger; what: string },
): FollowLoop {
  let stopped = true;
  let loop: Promise<void> | undefined;
  let wakeUp = () => {};
  return {
    start() {
      stopped = false;
      loop = (async () => {
        let failures = 0;
        while (!stopped) {
          let pauseMs = o.pollMs;
          try {
            const result = await step();
            failures = 0;
            if (result === 'progress') continue;
            if (result !== 'idle') pauseMs = Math.min(o.pollMs, result.retryAt.getTime() - o.clock.now().getTime());
          } catch (error) {
            pauseMs = Math.min(30_000, o.pollMs * 2 ** failures++);
            o.logger.warn({ err: error, retryInMs: pauseMs }, `${o.what} failed; trying again from its kept position`);
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, pauseMs));
            wakeUp = () => (clearTimeout(timer), resolve());
          });
        }
      })();
    },
    async stop() {
      stopped = true;
      wakeUp();
      await loop;
    },
    wake: () => wakeUp(),
  };
}
