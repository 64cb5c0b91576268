import {
  commandForTimer,
  decide,
  evolveAll,
  initialState,
  instantMs,
  pendingTimers,
  type IncidentCommand,
  type IncidentEvent,
  type IncidentState,
} from '../../src/index.ts';
import { roster } from './runbook.ts';

/** Drives one incident through virtual time: due timers fire in order, exactly when they are due. */
export class Scenario {
  readonly history: IncidentEvent[] = [];
  private state: IncidentState = initialState();

  run(command: IncidentCommand): IncidentEvent[] {
    const result = decide(command, this.state);
    if (!result.ok) throw new Error(`refused: ${result.error.code}`);
    this.record(result.value);
    return result.value;
  }

  advanceTo(until: string): this {
    for (;;) {
      const due = pendingTimers(this.state).find((t) => instantMs(t.dueAt) <= instantMs(until));
      if (!due) return this;
      const command = commandForTimer(due, roster, due.dueAt);
      if (!command) throw new Error(`no command for ${due.kind}`);
      this.run(command);
    }
  }

  get current(): IncidentState {
    return this.state;
  }

  /** Every page requested, as `HH:MM Ln contact purpose` lines, to read against the runbook. */
  pages(): string[] {
    return this.history
      .filter((e): e is Extract<IncidentEvent, { type: 'PageRequested' }> => e.type === 'PageRequested')
      .map((e) => `${e.data.at.slice(11, 16)} L${e.data.level} ${e.data.contact} ${e.data.purpose}`);
  }

  escalations(): string[] {
    return this.history
      .filter((e): e is Extract<IncidentEvent, { type: 'Escalated' }> => e.type === 'Escalated')
      .map((e) => `${e.data.at.slice(11, 16)} L${e.data.fromLevel}->L${e.data.toLevel} ${e.data.reason}`);
  }

  private record(events: IncidentEvent[]): void {
    this.history.push(...events);
    this.state = evolveAll(events, this.state);
  }
}
