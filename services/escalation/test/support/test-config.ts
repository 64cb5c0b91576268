import { parseConfig } from '@klaxon/config';
import { RUNBOOK_SEVERITIES_YAML } from '@klaxon/testing';

export const API_TOKEN = 'api-token-0123456789abcdef';

/** The runbook's model with short names: alice on call at L1, tom team lead, erin manager, carl CTO. */
export const testConfig = (options: { routes?: string; severities?: string; extra?: string } = {}) =>
  parseConfig(
    `${options.severities ?? RUNBOOK_SEVERITIES_YAML}contacts:
  alice: { phone: "+15550100001", email: alice@example.com, timezone: Europe/Berlin }
  bob:   { phone: "+15550100002", email: bob@example.com, timezone: America/New_York }
  tom:   { phone: "+15550100003", email: tom@example.com }
  erin:  { phone: "+15550100004", email: erin@example.com }
  carl:  { phone: "+15550100005", email: carl@example.com }
schedules:
  primary:
    timezone: UTC
    rotation: weekly
    handoffDay: monday
    handoff: "09:00"
    start: 2026-11-23
    members: [alice, bob]
policies:
  default:
    levels:
      L1: { targets: [schedule:primary], channels: [sms, email] }
      L2: { targets: [contact:tom], channels: [sms] }
      L3: { targets: [contact:erin], channels: [voice] }
      L4: { targets: [contact:carl], channels: [voice, email] }
routes:
${options.routes ?? '  - match: {}\n    policy: default'}
severityFrom:
  severity: { critical: P1, error: P2, warning: P3, info: P4 }
rules:
  - { match: { category: security }, escalateTo: L3 }
integrations:
  alertmanager: { token: "am-token-0123456789abcdef" }
api:
  tokens: ["${API_TOKEN}"]
${options.extra ?? ''}`,
    'test-config.yaml',
    {},
  );
