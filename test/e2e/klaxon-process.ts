import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export { freePort } from '@klaxon/testing';

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
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

function withoutInitCwd(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { INIT_CWD: _ignored, ...rest } = env;
  return rest;
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
