import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { createServiceHttp, readEnv, type ServiceHttp } from '../src/index.ts';

describe('service HTTP basics', () => {
  let http: ServiceHttp | undefined;
  afterEach(async () => http?.close());

  it('answers /health, /metrics in Prometheus text, and /ready per dependency', async () => {
    let storeUp = true;
    http = createServiceHttp({
      service: 'test',
      logger: pino({ level: 'silent' }),
      readiness: [
        {
          name: 'store',
          check: async () => {
            if (!storeUp) throw new Error('connection refused');
          },
        },
      ],
    });
    new Counter({ name: 'klaxon_test_total', help: 'a test counter', registers: [http.metrics] }).inc(3);
    const base = await http.listen(0, '127.0.0.1');

    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'test' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('klaxon_test_total{service="test"} 3');

    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { store: { ok: true } } });
    storeUp = false;
    const notReady = await fetch(`${base}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      ready: false,
      checks: { store: { ok: false, error: 'connection refused' } },
    });
  });
});

describe('environment', () => {
  it('defaults the contract ports, and the data dir and config beside where pnpm was invoked', () => {
    expect(readEnv({ INIT_CWD: '/srv/klaxon' })).toMatchObject({
      INGEST_PORT: 8080,
      ESCALATION_PORT: 8081,
      PROJECTION_PORT: 8082,
      KLAXON_DATA_DIR: '/srv/klaxon/data',
      KLAXON_CONFIG: '/srv/klaxon/klaxon.yaml',
    });
    expect(readEnv({ INIT_CWD: '/srv/klaxon', KLAXON_DATA_DIR: '/var/lib/klaxon' }).KLAXON_DATA_DIR).toBe(
      '/var/lib/klaxon',
    );
  });

  it('names the variable that is wrong', () => {
    expect(() => readEnv({ INGEST_PORT: 'eighty' })).toThrow(/INGEST_PORT/);
  });
});

describe('request logs', () => {
  it('log the matched route, never the raw path, whose segments may be secrets', async () => {
    const lines: Array<{
      req?: { method: string };
      route?: string;
      url?: string;
      res?: { status: number };
      msg: string;
    }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const http = createServiceHttp({ service: 'test', logger });
    http.routes.get('/ack/:token', (_req, res) => void res.send('ok'));
    const base = await http.listen(0, '127.0.0.1');
    try {
      await (await fetch(`${base}/ack/secret-signed-token`)).text();
      await (await fetch(`${base}/nowhere`)).text();
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests.map((l) => [l.req?.method, l.route ?? l.url, l.res?.status])).toEqual([
        ['GET', '/ack/:token', 200],
        ['GET', '/nowhere', 404],
      ]);
      expect(JSON.stringify(lines)).not.toContain('secret-signed-token');
    } finally {
      await http.close();
    }
  });

  it('log a request whose client went away before the answer as a warning, marked aborted', async () => {
    const lines: Array<{ level: number; route?: string; aborted?: boolean; msg: string }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const http = createServiceHttp({ service: 'test', logger });
    let answered!: () => void;
    const done = new Promise<void>((r) => (answered = r));
    http.routes.get('/slow', (_req, res) => void setTimeout(() => (res.end('late'), answered()), 300));
    const base = await http.listen(0, '127.0.0.1');
    try {
      // The client hangs up 50 ms in, before the answer.
      const asked = request(`${base}/slow`).on('error', () => undefined);
      asked.end();
      setTimeout(() => asked.destroy(), 50);
      await done;
      await new Promise((r) => setTimeout(r, 20));
      expect(lines.filter((l) => l.msg === 'request')).toEqual([
        expect.objectContaining({ level: 40, route: '/slow', aborted: true }),
      ]);
    } finally {
      await http.close();
    }
  });
});
