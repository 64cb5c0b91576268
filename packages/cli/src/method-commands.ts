import { UsageError } from './cli-errors.ts';
import { getJson, request, type Connection } from './client.ts';
import { table, type Out } from './output.ts';

interface MethodView {
  id: string;
  type: string;
  to: string;
  source: 'config' | 'api';
  verified: boolean;
  verifiedAt: string | null;
}

const TYPES = ['sms', 'voice', 'email', 'push'];
const USAGE =
  'methods has six subcommands: ls, add sms|voice|email|push <address>, verify <id>, confirm <id> <code>, test <id>, rm <id>';
const methodPath = (id: string) => `/api/v1/me/methods/${encodeURIComponent(id)}`;

/** `klaxon methods …`: the token owner's contact methods; an added one is paged once its code is confirmed. */
export async function methods(c: Connection, args: string[], out: Out): Promise<void> {
  const [sub, first, second] = args;
  const needId = (example: string) => {
    if (!first) throw new UsageError(`methods ${sub} needs the method's id: klaxon methods ${sub} ${example}`);
    return first;
  };
  switch (sub) {
    case 'ls': {
      const { methods: list } = await getJson<{ methods: MethodView[] }>(c, '/api/v1/me/methods');
      if (out.format === 'json') return out.json({ methods: list });
      out.print(
        table(
          ['ID', 'TYPE', 'TO', 'FROM', 'PAGED'],
          list.map((m) => [
            m.id,
            m.type,
            m.to,
            m.source === 'config' ? 'klaxon.yaml' : 'added',
            m.verified ? 'yes' : 'no (unverified)',
          ]),
        ),
      );
      return;
    }
    case 'add': {
      if (!first || !TYPES.includes(first) || !second)
        throw new UsageError('methods add needs a type and an address: klaxon methods add sms +4915112345678');
      const added = (await (
        await request(c, 'POST', '/api/v1/me/methods', { type: first, to: second })
      ).json()) as MethodView;
      if (out.format === 'json') return out.json(added);
      out.print(`${added.id}  ${added.type} ${added.to} added, not paged until verified`);
      out.print(`next: klaxon methods verify ${added.id}   (sends a 6-digit code to it)`);
      return;
    }
    case 'verify': {
      const id = needId('m_1a2b3c4d5e6f');
      await request(c, 'POST', `${methodPath(id)}/verify`);
      if (out.format === 'json') return out.json({ id, sent: true });
      out.print(`a code is on its way to ${id}; then: klaxon methods confirm ${id} <code>`);
      return;
    }
    case 'confirm': {
      const id = needId('m_1a2b3c4d5e6f 123456');
      if (!second || !/^\d{6}$/.test(second))
        throw new UsageError(`methods confirm needs the 6-digit code: klaxon methods confirm ${id} 123456`);
      await request(c, 'POST', `${methodPath(id)}/confirm`, { code: second });
      if (out.format === 'json') return out.json({ id, verified: true });
      out.print(`${id} verified: it is paged from now on`);
      return;
    }
    case 'test': {
      const id = needId('sms');
      await request(c, 'POST', `${methodPath(id)}/test`);
      if (out.format === 'json') return out.json({ id, sent: true });
      out.print(`test page sent to ${id}`);
      return;
    }
    case 'rm': {
      const id = needId('m_1a2b3c4d5e6f');
      await request(c, 'DELETE', methodPath(id));
      if (out.format === 'json') return out.json({ removed: id });
      out.print(`${id} removed`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
