import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@klaxon/testing';

export { freePort };

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningKlaxon {
  process: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/** Starts `pnpm start`'s entry point as its own process, as an operator would. */
export function startKlaxon(env: Record<string, string>): RunningKlaxon {
  return startEntry('scripts/start-all.ts', env);
}

export interface KlaxonUrls {
  /** Each service's base URL on loopback. */
  ingest: string;
  escalation: string;
  projection: string;
}

export type ReadyKlaxon = RunningKlaxon & KlaxonUrls;

/**
 * `pnpm start` on three free loopback ports, once every service answers /ready; `env` may depend on the
 * services' URLs (KLAXON_PUBLIC_URL). A start that does not get there within `timeoutMs` in all is stopped,
 * and its output is in the error: keep `timeoutMs` under the hook's own timeout, or a start that comes ready
 * after the hook gave up runs on with nobody to stop it.
 */
export async function startReadyKlaxon(
  env: Record<string, string> | ((urls: KlaxonUrls) => Record<string, string>),
  timeoutMs = 90_000,
): Promise<ReadyKlaxon> {
  const ports = { INGEST_PORT: await freePort(), ESCALATION_PORT: await freePort(), PROJECTION_PORT: await freePort() };
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const urls = {
    ingest: url(ports.INGEST_PORT),
    escalation: url(ports.ESCALATION_PORT),
    projection: url(ports.PROJECTION_PORT),
  };
  const running = startKlaxon({
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    KLAXON_HOST: '127.0.0.1',
    ...(typeof env === 'function' ? env(urls) : env),
  });
  try {
    await waitForReady(
      running,
      Object.values(urls).map((base) => `${base}/ready`),
      timeoutMs,
    );
  } catch (error) {
    await running.stop();
    throw error;
  }
  return { ...running, ...urls };
}

/** What points Klaxon's SMS and calls at a Twilio-shaped server of the tests. */
export const twilioEnv = (twilio: { accountSid: string; authToken: string; url: string }) => ({
  TWILIO_ACCOUNT_SID: twilio.accountSid,
  TWILIO_AUTH_TOKEN: twilio.authToken,
  TWILIO_FROM: '+15550009999',
  TWILIO_API_URL: twilio.url,
});

/** Starts one service alone, as `pnpm --filter @klaxon/<service> start` does. */
export function startService(
  service: 'ingest' | 'escalation' | 'projection',
  env: Record<string, string>,
): RunningKlaxon {
  return startEntry(`services/${service}/src/main.ts`, env);
}

function startEntry(entry: string, env: Record<string, string>): RunningKlaxon {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    // Started by node, not by pnpm: pnpm's INIT_CWD (the test folder) must not decide where ./klaxon.yaml is.
    env: { ...withoutInitCwd(process.env), ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    process: child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

function withoutInitCwd(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { INIT_CWD: _ignored, ...rest } = env;
  return rest;
}

/**
 * Until every URL answers 200, in turn, within `timeoutMs` in all. A start that exits or does not get there
 * fails the wait with what it printed: an exit fails it at once, not at the deadline.
 */
export async function waitForReady(klaxon: RunningKlaxon, urls: string[], timeoutMs = 30_000): Promise<void> {
  const { process: child } = klaxon;
  // 'close', not 'exit': its output is read to the end by then, the lines that say why it exited with it.
  const exited = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error(`Klaxon exited (${child.signalCode ?? `status ${child.exitCode}`})`));
    if (child.exitCode !== null || child.signalCode !== null) fail();
    else child.once('close', fail);
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (const url of urls) await Promise.race([waitForHttp(url, Math.max(1, deadline - Date.now())), exited]);
  } catch (error) {
    const waited = `${(error as Error).message}, waiting for ${urls.join(' and ')} to answer 200`;
    throw new Error(`${waited}; Klaxon said:\n${klaxon.output().slice(-3000)}`, { cause: error });
  } finally {
    exited.catch(() => {});
  }
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
