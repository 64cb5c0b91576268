import { parentPort } from 'node:worker_threads';
import { startFakeTwilio } from '@klaxon/testing';
import { until } from './full-klaxon.ts';
import { probePhone, type Probe, type ProbeRequest } from './probes.ts';

/**
 * The time-to-page bench's probes and its Twilio stand-in, on a thread of their own: in the bench's main
 * thread they shared an event loop with the storm's load generator, and a probe's 202 and its SMS were
 * stamped when that loop got to them, early or late by whatever it was busy with.
 */
if (!parentPort) throw new Error('probe-thread.ts runs as a worker thread of the time-to-page bench');
const parent = parentPort;
const twilio = await startFakeTwilio();

async function probe({ ingest, webhookToken, first, count, everyMs }: ProbeRequest): Promise<Probe[]> {
  const probes: Promise<Probe>[] = [];
  for (let n = first; n < first + count; n++) {
    const tick = new Promise((r) => setTimeout(r, everyMs));
    const response = await fetch(`http://127.0.0.1:${ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: webhookToken,
        event_action: 'trigger',
        dedup_key: `probe-${n}`,
        payload: { summary: `Probe ${n}`, source: 'bench', severity: 'critical', custom_details: { probe: String(n) } },
      }),
    });
    const accepted = Date.now();
    if (response.status !== 202) throw new Error(`ingest answered ${response.status} to a probe`);
    await response.arrayBuffer();
    const sms = () => twilio.requests.find((r) => r.params.To === probePhone(n));
    const timed = until(async () => sms() !== undefined, 60_000, `probe ${n}'s SMS`).then(() => ({
      n,
      accepted,
      ms: sms()!.at.getTime() - accepted,
    }));
    // Answered by Promise.all below, or, if a later probe's request throws first, by nobody: not a crash.
    timed.catch(() => undefined);
    probes.push(timed);
    await tick;
  }
  return Promise.all(probes);
}

parent.on('message', (message: ProbeRequest | 'close') => {
  // The probes still waiting for an SMS (after a failed run) would hold the thread for a minute: it ends now.
  if (message === 'close') {
    void twilio.close().finally(() => process.exit(0));
    return;
  }
  probe(message).then(
    (probes) => parent.postMessage({ probes }),
    (error: unknown) => parent.postMessage({ error: String(error) }),
  );
});
parent.postMessage({ url: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken });
