import pino from 'pino';
import { expect, it } from 'vitest';
import { createIngestService } from '../src/index.ts';

it('answers /health and serves its metrics', async () => {
  const service = createIngestService({ logger: pino({ level: 'silent' }) });
  const base = await service.http.listen(0, '127.0.0.1');
  try {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'ingest' });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('service="ingest"');
  } finally {
    await service.stop();
  }
});
