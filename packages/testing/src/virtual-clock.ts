/** A clock that moves only when told to. */
export class VirtualClock {
  private ms: number;
  constructor(start: string | Date) {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(to: string | Date | number): void {
    const ms = new Date(to).getTime();
    if (ms < this.ms)
      throw new Error(
        `a virtual clock does not go back (${new Date(ms).toISOString()} < ${new Date(this.ms).toISOString()})`,
      );
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
