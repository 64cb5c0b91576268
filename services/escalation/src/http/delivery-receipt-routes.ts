import express, { type Router } from 'express';
import { toInstant, type Channel, type IncidentCommand } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import { twilioSignatureCheck } from './twilio-signature.ts';

export interface DeliveryReceiptDeps {
  commands: IncidentCommands;
  clock: Clock;
  logger: Logger;
  authToken?: string;
  publicUrl: string;
  /** Whether a channel has another provider to carry a page its first could not deliver. */
  otherProviders: (channel: Channel) => boolean;
}

type Receipt = 'delivered' | 'undelivered' | 'failed';

/**
 * Twilio's final statuses, of a message (MessageStatus) or a call (CallStatus); the others (queued, sent,
 * ringing…) say nothing yet. A call answered and ended is `completed`: it reached the person.
 */
const FINAL: Record<string, Receipt> = {
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  completed: 'delivered',
  busy: 'undelivered',
  'no-answer': 'undelivered',
  canceled: 'undelivered',
};

/** Delivery receipts: what became of each page's SMS or call, reported by Twilio to the URL the page gave. */
export function deliveryReceiptRoutes(routes: Router, deps: DeliveryReceiptDeps): void {
  const form = express.urlencoded({ extended: false, limit: '64kb' });
  routes.post(
    '/webhooks/twilio/status',
    form,
    twilioSignatureCheck(deps.authToken, deps.publicUrl),
    async (req, res) => {
      const { incident, page } = req.query as { incident?: string; page?: string };
      const body = req.body as Record<string, string | undefined>;
      const sid = body.MessageSid ?? body.CallSid;
      const reported = body.MessageStatus ?? body.CallStatus;
      const status = reported === undefined ? undefined : FINAL[reported];
      if (typeof incident !== 'string' || typeof page !== 'string' || !sid || !status)
        return void res.status(204).end();
      const channel: Channel = body.CallSid ? 'voice' : 'sms';
      const command: IncidentCommand = {
        type: 'RecordPageReceipt',
        pageId: page,
        providerId: sid,
        status,
        ...(status === 'delivered'
          ? {}
          : { error: `${reported}${body.ErrorCode ? ` (Twilio error ${body.ErrorCode})` : ''}` }),
        otherProviders: deps.otherProviders(channel),
        at: toInstant(deps.clock.now()),
      };
      const execution = await deps.commands.execute(incident, () => command);
      const log = deps.logger.child({ incidentId: incident, pageId: page, providerId: sid, status: reported });
      if (execution.ok) log.info('delivery receipt recorded');
      else log.warn({ code: execution.error.code }, 'delivery receipt refused by the incident');
      // Twilio needs no answer but a success; a refused receipt is ours to log, not its to retry.
      res.status(204).end();
    },
  );
}
