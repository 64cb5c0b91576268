import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { tempDir } from './temp-dir.ts';

const run = promisify(execFile);
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = process.env.AMTOOL_BIN ?? '/usr/bin/amtool';

/** Whether a real Alertmanager can run here. Under CI=true it must: .ci/run installs Debian's package. */
export function alertmanagerAvailable(suite: string): boolean {
  if (existsSync(ALERTMANAGER_BIN) && existsSync(AMTOOL_BIN)) return true;
  const reason = `no Alertmanager at ${ALERTMANAGER_BIN} (apt-get install prometheus-alertmanager)`;
  if (process.env.CI) throw new Error(`CI=true, so ${suite} must run, but there is ${reason}`);
  console.warn(`SKIPPED ${suite}: ${reason}`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

export interface RealAlertmanager {
  url: string;
  /** `amtool alert add`: labels as name=value; `end` in the past resolves the alert. */
  addAlert(labels: Record<string, string>, options?: { summary?: string; end?: Date }): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real Alertmanager on loopback whose only receiver is a webhook with a bearer token. */
export async function startAlertmanager(webhookUrl: string, token: string): Promise<RealAlertmanager> {
  return startAlertmanagerWithConfig(`route:
  receiver: klaxon
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: klaxon
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${JSON.stringify(token)}
`);
}

/** Starts a real Alertmanager on loopback with this configuration file's text. */
export async function startAlertmanagerWithConfig(config: string): Promise<RealAlertmanager> {
  const dir = tempDir('klaxon-am-');
  const port = await freePort();
  writeFileSync(dir.file('alertmanager.yml'), config);
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${dir.file('alertmanager.yml')}`,
      `--storage.path=${dir.path}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited: ${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`alertmanager did not become ready: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async addAlert(labels, options = {}) {
      const args = [
        'alert',
        'add',
        ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
        `--alertmanager.url=${url}`,
      ];
      if (options.summary) args.push(`--annotation=summary=${options.summary}`);
      if (options.end) args.push(`--end=${options.end.toISOString()}`);
      await run(AMTOOL_BIN, args);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      dir.remove();
    },
  };
}

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Whether Debian's Chromium is here for browser tests. Under CI=true it must be: .ci/run installs it. */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM_BIN)) return true;
  const reason = `no Chromium at ${CHROMIUM_BIN} (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`CI=true, so ${suite} must run, but there is ${reason}`);
  console.warn(`SKIPPED ${suite}: ${reason}`);
  return false;
}
