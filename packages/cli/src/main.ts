import { parseArgs } from 'node:util';
import { EXIT, RefusedError, UsageError } from './cli-errors.ts';
import { connection } from './client.ts';
import { checkConfig, routesTest } from './config-commands.ts';
import { deadLetters } from './dead-letter-command.ts';
import { act, incidents, oncall, postmortem, show, statusUpdate } from './incident-commands.ts';
import { stdout, type Format } from './output.ts';
import { override, reload, take } from './override-commands.ts';
import { methods } from './method-commands.ts';
import { replay } from './replay-command.ts';
import { rules } from './rule-commands.ts';
import { heartbeats } from './heartbeat-commands.ts';
import { silence } from './silence-commands.ts';
import { token } from './token-commands.ts';
import { audit } from './audit-command.ts';
import { webhooks } from './webhook-commands.ts';

const USAGE = `klaxon <command> [options]

Offline:
  check-config [file]                     validate a klaxon.yaml (default ./klaxon.yaml); list routes, policies, schedules
  routes test label=value …  [--config f] the route, policy and severity an alert gets, and whom it pages now

Against a running Klaxon (--url/--token or KLAXON_URL/KLAXON_API_TOKEN):
  incidents [--status open|acknowledged|resolved|unresolved]
  show <number|id> [--at <instant>]       the incident now, or as it stood at an ISO-8601 instant
  ack|resolve|escalate <number|id>       done as the token's owner (an admin may add --by <name> to act for someone)
  status-update <number|id> --text "…"
  token create [--for <name>] [--name N] [--expires 30d]
                                          a personal token (shown once); --for: an admin hands one to a person
  token ls [--for <name>] · token revoke <id> [--for <name>]
  postmortem <number|id>                  a markdown draft from the runbook's template
  oncall [--at <instant>] [--schedule <name>] [--next N]
  dead-letters [--limit N]                the newest records escalation moved aside (default 50), with why
  audit [--since T] [--actor A] [--kind K] [--limit N] [--cursor C]
                                          who did what (admin): commands, tokens, sign-ins, oldest first
  override add --schedule S --start T --end T --person P [--replaces Q] [--reason R]
                                          put P on call from T to T (in place of Q: a swap)
  override ls [--schedule S] · override rm <id> [--schedule S]
  take [--schedule S] --for 2h|08:00|<instant> [--reason R]
                                          the token's owner takes the pager (default: their first schedule)
  reload                                  escalation reads its configuration file again (admin); refused if invalid
  webhooks ls                             each outgoing webhook: position, failing since, dead-lettered (admin)
  webhooks replay <name> --from <instant> deliver again every message from that instant on (admin)
  silence add label=value|label=~regex … (--for 2h | --until <instant>) [--from <instant>] --comment "…"
  silence ls · silence expire <id>        silences: matching incidents open but page nobody until they end
  methods ls · methods add sms|voice|email|push <address>
                                          the token owner's contact methods; an added one is paged once verified
  methods verify <id> · methods confirm <id> <code> · methods test <id> · methods rm <id>
  rules show · rules set [--high "0m push, 1m sms, 3m voice"] [--low "0m email"] [--quiet 22:00-07:00|off]
                                          the token owner's notification rules (none clears an urgency)
  heartbeats ls · heartbeats rm <name>    heartbeat monitors (of klaxon.yaml and the API); rm: one of the API (admin)
  heartbeats add <name> --interval 24h [--grace 1h] [--label k=v …] [--match k=v …]
                                          a monitor made through the API (admin), armed at once

Offline, on the recorded history (the embedded store under --data-dir or KLAXON_DATA_DIR, or DATABASE_URL):
  replay --config candidate.yaml [--from <instant>] [--to <instant>] [--current klaxon.yaml]
                                          what the candidate would have done with the real alerts, acks and resolutions

Options: --output table|json (default table). Exit codes: 0 ok, 1 refused or invalid, 2 usage.`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        output: { type: 'string', short: 'o' },
        config: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        at: { type: 'string' },
        by: { type: 'string' },
        text: { type: 'string' },
        schedule: { type: 'string' },
        next: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        current: { type: 'string' },
        for: { type: 'string' },
        name: { type: 'string' },
        expires: { type: 'string' },
        'data-dir': { type: 'string' },
        since: { type: 'string' },
        actor: { type: 'string' },
        kind: { type: 'string' },
        cursor: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        person: { type: 'string' },
        replaces: { type: 'string' },
        reason: { type: 'string' },
        until: { type: 'string' },
        comment: { type: 'string' },
        high: { type: 'string' },
        low: { type: 'string' },
        quiet: { type: 'string' },
        interval: { type: 'string' },
        grace: { type: 'string' },
        label: { type: 'string', multiple: true },
        match: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`klaxon: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values: flags, positionals } = parsed;
  const [command, ...args] = positionals;
  if (flags.help || !command) {
    (flags.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return flags.help ? EXIT.ok : EXIT.usage;
  }
  try {
    const format = (flags.output ?? 'table') as Format;
    if (format !== 'table' && format !== 'json')
      throw new UsageError(`--output is table or json, not "${flags.output}"`);
    const out = stdout(format);
    const api = () => connection(flags, env);
    switch (command) {
      case 'check-config':
        checkConfig(args, out, env);
        break;
      case 'routes':
        if (args[0] !== 'test') throw new UsageError('routes has one subcommand: klaxon routes test label=value …');
        routesTest(args.slice(1), flags, out, env);
        break;
      case 'incidents':
        await incidents(api(), flags, out);
        break;
      case 'show':
        await show(api(), args, flags, out);
        break;
      case 'ack':
      case 'acknowledge':
        await act(api(), 'acknowledge', args, flags, out);
        break;
      case 'resolve':
      case 'escalate':
        await act(api(), command, args, flags, out);
        break;
      case 'status-update':
        await statusUpdate(api(), args, flags, out);
        break;
      case 'postmortem':
        await postmortem(api(), args, out);
        break;
      case 'oncall':
        await oncall(api(), flags, out);
        break;
      case 'token':
        await token(api(), args, flags, out);
        break;
      case 'audit':
        await audit(api(), flags, out);
        break;
      case 'dead-letters':
        await deadLetters(api(), flags, out);
        break;
      case 'replay':
        await replay(flags, out, env);
        break;
      case 'override':
        await override(api(), args, flags, out);
        break;
      case 'take':
        await take(api(), flags, out);
        break;
      case 'reload':
        await reload(api(), out);
        break;
      case 'webhooks':
        await webhooks(api(), args, flags, out);
        break;
      case 'silence':
        await silence(api(), args, flags, out);
        break;
      case 'methods':
        await methods(api(), args, out);
        break;
      case 'rules':
        await rules(api(), args, flags, out);
        break;
      case 'heartbeats':
        await heartbeats(api(), args, flags, out);
        break;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`klaxon: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof RefusedError) {
      process.stderr.write(`klaxon: ${error.message}\n`);
      return EXIT.refused;
    }
    throw error;
  }
}

// Run as `pnpm klaxon …` (tsx) or through bin/klaxon.mjs.
process.exitCode = await main(process.argv.slice(2));
