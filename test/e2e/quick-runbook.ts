/**
 * A runbook whose P1 acknowledgement timeout is seconds long, so an incident's course can be watched in
 * real time: alice at L1 by SMS, tom at L2 (by SMS and, with `l2Voice`, by call), one catch-all route, and
 * throttles wide enough that every page goes out on its own (storm bundling is tested elsewhere).
 */
export function quickRunbookYaml(o: {
  ackTimeout: string;
  webhookToken: string;
  apiToken: string;
  l2Voice?: boolean;
}): string {
  return `severities:
  P1: { ackTimeout: ${o.ackTimeout}, escalateAfter: [1h, 2h, 3h], statusUpdateEvery: 24h, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
contacts:
  alice: { phone: "+15550100001", timezone: Europe/Berlin }
  tom:   { phone: "+15550100003", timezone: Europe/Berlin }
schedules: {}
policies:
  default:
    levels:
      L1: { targets: [contact:alice], channels: [sms] }
      L2: { targets: [contact:tom], channels: [${o.l2Voice ? 'sms, voice' : 'sms'}] }
routes:
  - match: {}
    policy: default
integrations:
  webhooks: { token: ${o.webhookToken} }
api:
  tokens: [${o.apiToken}]
throttle:
  sms: { every: 1s, burst: 100 }
  voice: { every: 1s, burst: 100 }
`;
}
