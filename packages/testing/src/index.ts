export * from './postgres.ts';
export * from './temp-dir.ts';
export * from './docker.ts';
export * from './alertmanager.ts';
export * from './virtual-clock.ts';
export * from './fake-twilio.ts';
export * from './smtp-sink.ts';
export * from './runbook-config.ts';
