import { RefusedError, UsageError } from './cli-errors.ts';

export interface Connection {
  url: string;
  token: string;
}

/** `--url`/`--token`, else `KLAXON_URL`/`KLAXON_API_TOKEN`: the escalation service's API. */
export function connection(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv): Connection {
  const url = flags.url ?? env.KLAXON_URL;
  const token = flags.token ?? env.KLAXON_API_TOKEN;
  if (!url) throw new UsageError('say where Klaxon is: --url http://host:8081 or KLAXON_URL');
  if (!token) throw new UsageError('give an API token: --token … or KLAXON_API_TOKEN');
  return { url: url.replace(/\/$/, ''), token };
}

export async function request(
  c: Connection,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  accept = 'application/json',
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${c.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${c.token}`,
        accept,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RefusedError(`Klaxon did not answer at ${c.url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    const text = await response.text();
    let said = text;
    try {
      const json = JSON.parse(text) as { error?: string; problems?: Array<{ path: string; message: string }> };
      said = [json.error, ...(json.problems ?? []).map((p) => `${p.path}: ${p.message}`)].filter(Boolean).join('; ');
    } catch {
      // not JSON: say it as it came
    }
    throw new RefusedError(`Klaxon answered ${response.status}: ${said}`);
  }
  return response;
}

export const getJson = async <T>(c: Connection, path: string): Promise<T> =>
  (await (await request(c, 'GET', path)).json()) as T;

export interface IncidentSummary {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: string;
  level: string;
  service: string;
  assignees: string[];
  openedAt: string;
}

/** An incident named by its number (`42`, `#42`) or its id. */
export async function resolveIncident(c: Connection, ref: string): Promise<string> {
  const number = /^#?(\d+)$/.exec(ref)?.[1];
  if (!number) return ref;
  for (let cursor: string | null | undefined; ;) {
    const page = await getJson<{ incidents: IncidentSummary[]; nextCursor: string | null }>(
      c,
      `/api/v1/incidents?limit=1000&q=${encodeURIComponent(`#${number}`)}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    const found = page.incidents.find((i) => i.number === Number(number));
    if (found) return found.id;
    if (!page.nextCursor) throw new RefusedError(`no incident #${number}`);
    cursor = page.nextCursor;
  }
}
