import { alertmanagerAvailable, tempDir } from '@klaxon/testing';
import { describe, expect, it } from 'vitest';
import { alertToPageToKpi } from './alert-to-page-scenario.ts';
import { startKlaxon } from './klaxon-process.ts';

const available = alertmanagerAvailable('end-to-end: real Alertmanager → pnpm start → page → KPI');

describe.runIf(available)('end to end on the embedded default (pnpm start, one process)', () => {
  it('a real Alertmanager alert pages the L1 on-call engineer by SMS, voice and email, and shows as an open incident and in the KPIs', async () => {
    const data = tempDir('klaxon-e2e-');
    await alertToPageToKpi(async (env) => {
      const klaxon = startKlaxon({ ...env, KLAXON_DATA_DIR: data.path });
      return {
        async stop() {
          expect(await klaxon.stop()).toBe(0);
          data.remove();
        },
      };
    });
  });
});
