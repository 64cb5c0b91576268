import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import twilio from 'twilio';
import { toInstant, type ContactSpec, type IncidentCommand } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import { parseSmsReply } from '../acks/sms-reply.ts';
import type { IncidentIndex } from '../incidents/incident-index.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import { describeError } from './incident-errors.ts';

export interface TwilioRouteDeps {
  index: IncidentIndex;
  repository: IncidentRepository;
  contacts: Record<string, ContactSpec>;
  clock: Clock;
  logger: Logger;
  /** Twilio signs with the auth token over the public URL it called; without a token every webhook is refused. */
  authToken?: string;
  publicUrl: string;
  onExecuted: (incidentId: string, execution: Execution) => void;
}

const twiml = (reply: FastifyReply, body: string) => reply.type('text/xml').send(body);

export async function twilioRoutes(app: FastifyInstance, deps: TwilioRouteDeps): Promise<void> {
  await app.register(formbody);
  const { index, repository, contacts, clock, logger } = deps;

  const verified = async (request: FastifyRequest, reply: FastifyReply) => {
    const signature = request.headers['x-twilio-signature'];
    const params = (request.body ?? {}) as Record<string, string>;
    const url = `${deps.publicUrl}${request.url}`;
    if (!deps.authToken || typeof signature !== 'string' || !twilio.validateRequest(deps.authToken, signature, url, params)) {
      request.log.warn({ url }, 'Twilio webhook with a missing or invalid signature');
      return reply.code(403).send({ error: 'invalid X-Twilio-Signature' });
    }
  };

  const run = async (incidentId: string, command: IncidentCommand) => {
    const execution = await repository.execute(incidentId, () => command);
    if (execution.ok) deps.onExecuted(incidentId, execution);
    return execution;
  };

  app.post('/webhooks/twilio/sms', { preHandler: verified }, async (request, reply) => {
    const { From: from = '', Body: body = '', MessageSid: sid } = request.body as Record<string, string | undefined>;
    const response = new twilio.twiml.MessagingResponse();
    const contactName = Object.entries(contacts).find(([, c]) => c.phone === from)?.[0];
    if (!contactName) {
      response.message('Klaxon does not know this number.');
      return twiml(reply, response.toString());
    }
    const reply_ = parseSmsReply(body);
    if (reply_.action === 'help') {
      response.message('Klaxon: reply <number>a to acknowledge, <number>c to resolve, e.g. 42a.');
      return twiml(reply, response.toString());
    }
    const pagedToMe = index
      .all()
      .map((i) => i.state)
      .filter((s) => Object.values(s.pages).some((p) => p.contact === contactName && p.channel === 'sms'))
      .sort((a, b) => b.number - a.number);
    const target = reply_.number !== undefined ? pagedToMe.find((s) => s.number === reply_.number) : pagedToMe.find((s) => s.status !== 'resolved');
    if (!target) {
      response.message(reply_.number !== undefined ? `Klaxon: no incident #${reply_.number} was paged to you.` : 'Klaxon: no open incident was paged to you.');
      return twiml(reply, response.toString());
    }
    const at = toInstant(clock.now());
    const execution = await run(
      target.incidentId,
      reply_.action === 'acknowledge'
        ? { type: 'Acknowledge', by: contactName, via: 'sms', ...(sid ? { ref: `sms:${sid}` } : {}), at }
        : { type: 'Resolve', by: contactName, via: 'sms', at },
    );
    const done = reply_.action === 'acknowledge' ? 'Acknowledged' : 'Resolved';
    response.message(execution.ok ? `Klaxon: ${done} #${target.number} ${target.title}.` : `Klaxon: #${target.number}: ${describeError(execution.error)}.`);
    logger.info({ incidentId: target.incidentId, contact: contactName, action: reply_.action, ok: execution.ok }, 'SMS reply');
    return twiml(reply, response.toString());
  });

  app.post('/webhooks/twilio/voice', { preHandler: verified }, async (request, reply) => {
    const { incident, contact } = request.query as { incident?: string; contact?: string };
    const { Digits: digits } = request.body as Record<string, string | undefined>;
    const response = new twilio.twiml.VoiceResponse();
    if (!incident || !contact || !contacts[contact]) {
      response.say('Klaxon could not tell which incident this call is about. Goodbye.');
      return twiml(reply, response.toString());
    }
    if (digits !== '1') {
      response.say('Not acknowledged. Goodbye.');
      return twiml(reply, response.toString());
    }
    const execution = await run(incident, { type: 'Acknowledge', by: contact, via: 'voice', at: toInstant(clock.now()) });
    response.say(execution.ok ? 'Acknowledged. Thank you. Goodbye.' : `Not acknowledged: ${describeError(execution.error)}. Goodbye.`);
    return twiml(reply, response.toString());
  });
}
