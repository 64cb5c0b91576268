import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface TokenFlags {
  for?: string;
  name?: string;
  expires?: string;
}

interface TokenView {
  id: string;
  name: string;
  expiresAt: string;
  lastUsedAt: string | null;
  state: string;
}

/** Your own tokens, or with `--for <name>` (an admin) that person's. */
const tokensPath = (flags: TokenFlags) =>
  flags.for === undefined ? '/api/v1/me/tokens' : `/api/v1/people/${encodeURIComponent(flags.for)}/tokens`;

/** `klaxon token create|ls|revoke`: personal tokens, shown once when created and stored only hashed. */
export async function token(c: Connection, args: string[], flags: TokenFlags, out: Out): Promise<void> {
  const [sub, id] = args;
  switch (sub) {
    case 'create': {
      const body = { name: flags.name ?? 'cli', ...(flags.expires === undefined ? {} : { expiresIn: flags.expires }) };
      const created = (await (await request(c, 'POST', tokensPath(flags), body)).json()) as TokenView & {
        token: string;
      };
      if (out.format === 'json') return out.json(created);
      out.print(created.token);
      out.print(`token ${created.id} "${created.name}", valid until ${created.expiresAt}: it is shown only this once`);
      return;
    }
    case 'ls': {
      const { tokens } = await getJson<{ tokens: TokenView[] }>(c, tokensPath(flags));
      if (out.format === 'json') return out.json({ tokens });
      out.print(
        table(
          ['ID', 'NAME', 'STATE', 'EXPIRES', 'LAST USED'],
          tokens.map((t) => [t.id, t.name, t.state, t.expiresAt, t.lastUsedAt ?? '—']),
        ),
      );
      return;
    }
    case 'revoke': {
      if (!id) throw new UsageError('token revoke needs the token id: klaxon token revoke 3f2a9c1b0d4e');
      await request(c, 'DELETE', `${tokensPath(flags)}/${encodeURIComponent(id)}`);
      if (out.format === 'json') return out.json({ revoked: id });
      out.print(`token ${id} revoked`);
      return;
    }
    default:
      throw new UsageError('token has three subcommands: create [--for P] [--name N] [--expires 30d], ls, revoke <id>');
  }
}
