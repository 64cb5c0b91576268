/**
 * One copy of each string. Settled incidents are most of what the index holds, and their strings repeat
 * (severities, statuses, services, label names and values, who acknowledged): each parsed from its own
 * event or snapshot line, they would otherwise be held once per incident.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  get(s: string): string {
    const pooled = this.strings.get(s);
    if (pooled !== undefined) return pooled;
    this.strings.set(s, s);
    return s;
  }

  record(r: Record<string, string>): Record<string, string> {
    const pooled: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) pooled[this.get(k)] = this.get(v);
    return pooled;
  }
}
