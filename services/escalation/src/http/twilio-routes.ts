import express, { type Response, type Router } from 'express';
import twilio from 'twilio';
import { storableText, toInstant, type ContactSpec, type IncidentCommand } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import { acknowledgeByKeypress, actOnBundle } from '../acks/keypress.ts';
import { parseSmsReply } from '../acks/sms-reply.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import { clip, SMS_TITLE_MAX } from '../paging/page-messages.ts';
import { describeError } from './incident-errors.ts';
import { twilioSignatureCheck } from './twilio-signature.ts';

export interface TwilioRouteDeps {
  index: IncidentIndex;
  commands: IncidentCommands;
  /** Whom a call's keypress may name. */
  contacts: Record<string, ContactSpec>;
  /** The person whose verified phone a number is, klaxon.yaml's or one they added. */
  whoseNumber: (number: string) => string | undefined;
  clock: Clock;
  logger: Logger;
  /** Twilio signs with the auth token over the public URL it called; without a token every webhook is refused. */
  authToken?: string;
  publicUrl: string;
  /** The answer to a text asking to take the pager (`take 2h`), or `undefined` for any other text. */
  take?: (contactName: string, body: string) => Promise<string | undefined>;
}

const twiml = (res: Response, body: string) => void res.type('text/xml').send(body);

export function twilioRoutes(routes: Router, deps: TwilioRouteDeps): void {
  const { index, commands, clock, logger } = deps;
  const form = express.urlencoded({ extended: false, limit: '64kb' });

  const verified = twilioSignatureCheck(deps.authToken, deps.publicUrl);

  const run = (incidentId: string, command: IncidentCommand) => commands.execute(incidentId, () => command);

  routes.post('/webhooks/twilio/sms', form, verified, async (req, res) => {
    const { From: from = '', Body: body = '', MessageSid: sid } = req.body as Record<string, string | undefined>;
    const response = new twilio.twiml.MessagingResponse();
    const contactName = deps.whoseNumber(from);
    if (!contactName) {
      response.message('Klaxon does not know this number.');
      return twiml(res, response.toString());
    }
    const took = await deps.take?.(contactName, body);
    if (took !== undefined) {
      response.message(took);
      return twiml(res, response.toString());
    }
    const smsReply = parseSmsReply(body);
    if (smsReply.action === 'help') {
      response.message('Klaxon: reply <number>a to acknowledge, <number>c to resolve, e.g. 42a.');
      return twiml(res, response.toString());
    }
    const at = toInstant(clock.now());
    const phone = { kind: 'phone' as const, name: contactName };
    if (smsReply.bundle !== undefined) {
      const { done, of } = await actOnBundle(deps, smsReply.bundle, contactName, smsReply.action, 'sms');
      const verb = smsReply.action === 'acknowledge' ? 'Acknowledged' : 'Resolved';
      response.message(
        of === 0
          ? `Klaxon: nothing open in bundle ${smsReply.bundle} was paged to you.`
          : `Klaxon: ${verb} ${done} of ${of} incidents of bundle ${smsReply.bundle}.`,
      );
      logger.info(
        { bundle: smsReply.bundle, contact: contactName, action: smsReply.action, incidents: of, done },
        'SMS reply for a bundle',
      );
      return twiml(res, response.toString());
    }
    const pagedToMe = index.pagedBySms(contactName).sort((a, b) => b.number - a.number);
    const named = smsReply.number !== undefined ? pagedToMe.filter((s) => s.number === smsReply.number) : [];
    if (named.length > 1) {
      // Numbers are claimed through the store now; data from before may still repeat one.
      // Acting on either could acknowledge the wrong incident.
      response.message(
        `Klaxon: #${smsReply.number} names ${named.length} incidents: ${named.map((s) => `${s.title.slice(0, 60)} (${deps.publicUrl}/incidents/${s.id})`).join(' and ')}. Nothing done; act on the one you mean from its link.`,
      );
      logger.warn(
        { incidentIds: named.map((s) => s.id), number: smsReply.number, contact: contactName },
        'SMS reply refused: its number names several incidents',
      );
      return twiml(res, response.toString());
    }
    const target = smsReply.number !== undefined ? named[0] : pagedToMe.find((s) => s.status !== 'resolved');
    if (!target) {
      response.message(
        smsReply.number !== undefined
          ? `Klaxon: no incident #${smsReply.number} was paged to you.`
          : 'Klaxon: no open incident was paged to you.',
      );
      return twiml(res, response.toString());
    }
    const execution = await run(
      target.id,
      smsReply.action === 'acknowledge'
        ? {
            type: 'Acknowledge',
            by: contactName,
            via: 'sms',
            ...(sid ? { ref: `sms:${storableText(sid)}` } : {}),
            at,
            actor: phone,
          }
        : { type: 'Resolve', by: contactName, via: 'sms', at, actor: phone },
    );
    const done = smsReply.action === 'acknowledge' ? 'Acknowledged' : 'Resolved';
    response.message(
      execution.ok
        ? `Klaxon: ${done} #${target.number} ${clip(target.title, SMS_TITLE_MAX)}.`
        : `Klaxon: #${target.number}: ${describeError(execution.error)}.`,
    );
    logger.info(
      { incidentId: target.id, contact: contactName, action: smsReply.action, ok: execution.ok },
      'SMS reply',
    );
    return twiml(res, response.toString());
  });

  routes.post('/webhooks/twilio/voice', form, verified, async (req, res) => {
    const { incident, bundle, contact } = req.query as { incident?: string; bundle?: string; contact?: string };
    const { Digits: digits } = req.body as Record<string, string | undefined>;
    const response = new twilio.twiml.VoiceResponse();
    response.say(await acknowledgeByKeypress(deps, { incident, bundle, contact, digits }));
    twiml(res, response.toString());
  });
}
