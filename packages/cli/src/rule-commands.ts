import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { pairs, type Out } from './output.ts';

interface Step {
  afterMs: number;
  method: string;
}
interface RulesView {
  rules: { high?: Step[]; low?: Step[] };
  quietHours: { from: string; to: string } | null;
  source: 'config' | 'api';
}
interface RuleFlags {
  high?: string;
  low?: string;
  quiet?: string;
}

/** 60000 → "1m", as klaxon.yaml writes a step's `after`. */
function duration(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
const stepsText = (steps: Step[] | undefined) =>
  steps?.length ? steps.map((s) => `${duration(s.afterMs)} ${s.method}`).join(', ') : '—';
const asSent = (steps: Step[] | undefined) => steps?.map((s) => ({ after: duration(s.afterMs), method: s.method }));

/** "0m push, 1m sms, 3m voice" → steps; "none" → no rules for that urgency. Klaxon checks the durations. */
function parseSteps(flag: string, text: string): Array<{ after: string; method: string }> | undefined {
  if (text.trim() === 'none') return undefined;
  const steps = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [after, method, ...rest] = part.split(/\s+/);
      if (!after || !method || rest.length > 0)
        throw new UsageError(`--${flag}: "${part}" is not a step like "1m sms" (steps: "0m push, 1m sms"; or none)`);
      return { after, method };
    });
  return steps.length > 0 ? steps : undefined;
}

function parseQuiet(text: string): { from: string; to: string } | null {
  if (text === 'off') return null;
  const match = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(text);
  if (!match) throw new UsageError(`--quiet is from-to in your zone, like 22:00-07:00, or off; not "${text}"`);
  return { from: match[1]!, to: match[2]! };
}

function show(view: RulesView, out: Out): void {
  if (out.format === 'json') return out.json(view);
  out.print(
    pairs([
      ['high', stepsText(view.rules.high)],
      ['low', stepsText(view.rules.low)],
      ['quiet hours', view.quietHours ? `${view.quietHours.from}-${view.quietHours.to}` : '—'],
      ['from', view.source === 'api' ? 'set by you (in place of klaxon.yaml)' : 'klaxon.yaml'],
    ]),
  );
}

/**
 * `klaxon rules show|set`: the token owner's notification rules. `set` changes what its flags name and keeps
 * the rest as they stand (Klaxon's PUT replaces them all).
 */
export async function rules(c: Connection, args: string[], flags: RuleFlags, out: Out): Promise<void> {
  const [sub] = args;
  switch (sub) {
    case 'show':
      return show(await getJson<RulesView>(c, '/api/v1/me/rules'), out);
    case 'set': {
      if (flags.high === undefined && flags.low === undefined && flags.quiet === undefined)
        throw new UsageError(
          'rules set needs --high, --low or --quiet: klaxon rules set --high "0m push, 1m sms, 3m voice"',
        );
      const quiet = flags.quiet === undefined ? undefined : parseQuiet(flags.quiet);
      const now = await getJson<RulesView>(c, '/api/v1/me/rules');
      const high = flags.high === undefined ? asSent(now.rules.high) : parseSteps('high', flags.high);
      const low = flags.low === undefined ? asSent(now.rules.low) : parseSteps('low', flags.low);
      const body = {
        ...(high ? { high } : {}),
        ...(low ? { low } : {}),
        quietHours: quiet === undefined ? now.quietHours : quiet,
      };
      const view = (await (await request(c, 'PUT', '/api/v1/me/rules', body)).json()) as RulesView;
      return show(view, out);
    }
    default:
      throw new UsageError(
        'rules has two subcommands: show, set [--high "0m push, 1m sms"] [--low "0m email"] [--quiet 22:00-07:00|off]',
      );
  }
}
