import { SLACK_ACTIONS, type SlackAction } from './slack-message.ts';

export type SlackCommand =
  | { kind: 'act'; action: SlackAction; number: number }
  | { kind: 'oncall' }
  /** `take 2h`, `take until 08:00`, `take 2h primary`: the text as typed (a schedule's name keeps its case). */
  | { kind: 'take'; text: string }
  | { kind: 'help' }
  | { kind: 'unknown'; text: string };

const VERBS: Record<string, SlackAction> = {
  ack: 'ack',
  acknowledge: 'ack',
  resolve: 'resolve',
  escalate: 'escalate',
};

/** What `/klaxon <text>` asks: `ack 42` (or `#42`), `resolve 42`, `escalate 42`, `oncall`, `take 2h`, `help`. */
export function parseSlackCommand(text: string): SlackCommand {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const [verb, ref] = words;
  if (!verb || verb === 'help') return { kind: 'help' };
  if (verb === 'oncall' || verb === 'on-call') return { kind: 'oncall' };
  if (verb === 'take') return { kind: 'take', text: text.trim() };
  const action = VERBS[verb];
  const number = ref?.replace(/^#/, '');
  if (action && number && /^\d{1,9}$/.test(number) && words.length === 2)
    return { kind: 'act', action, number: Number(number) };
  return { kind: 'unknown', text };
}

export const SLACK_HELP =
  'Klaxon: `/klaxon ack 42`, `/klaxon resolve 42`, `/klaxon escalate 42` (the incident number), `/klaxon oncall`, `/klaxon take 2h` or `/klaxon take until 08:00` (you go on call).';

export const actionName = (action: SlackAction): string => SLACK_ACTIONS[action];
