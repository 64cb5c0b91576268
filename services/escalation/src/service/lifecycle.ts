/** One thing the service starts, and how it is stopped. */
export interface LifecycleStep {
  name: string;
  start(): unknown;
  stop?(): unknown;
}

/**
 * The service's start as one ordered list, stopped in reverse: what started last (the loops) stops first,
 * what everything else stands on (the store subscription, the people's streams) stops last. A start that
 * fails stops what had started, in reverse, and throws.
 */
export class Lifecycle {
  private started: LifecycleStep[] = [];

  constructor(private readonly steps: LifecycleStep[]) {}

  async start(): Promise<void> {
    for (const step of this.steps) {
      try {
        await step.start();
      } catch (error) {
        await this.stop();
        throw new Error(`starting ${step.name} failed: ${(error as Error).message ?? String(error)}`, {
          cause: error,
        });
      }
      this.started.push(step);
    }
  }

  async stop(): Promise<void> {
    const started = this.started.reverse();
    this.started = [];
    for (const step of started) await step.stop?.();
  }
}
