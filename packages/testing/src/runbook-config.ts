/** The runbook's severities as a `klaxon.yaml` block, for test configurations. */
export const RUNBOOK_SEVERITIES_YAML = `
severities:
  P1: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [2h, 4h, 8h], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [8h, 24h, 72h], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { ackTimeout: 4h, escalateAfter: [24h, 72h, 7d], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
`;
