import type { RequestHandler } from 'express';
import twilio from 'twilio';

/**
 * Twilio signs each webhook with the auth token over the public URL it called (query string included) and
 * the form fields; without a token every webhook is refused.
 */
export const twilioSignatureCheck =
  (authToken: string | undefined, publicUrl: string): RequestHandler =>
  (req, res, next) => {
    const signature = req.headers['x-twilio-signature'];
    const params = (req.body ?? {}) as Record<string, string>;
    const url = `${publicUrl}${req.originalUrl}`;
    if (!authToken || typeof signature !== 'string' || !twilio.validateRequest(authToken, signature, url, params)) {
      req.log.warn({ url }, 'Twilio webhook with a missing or invalid signature');
      return void res.status(403).json({ error: 'invalid X-Twilio-Signature' });
    }
    next();
  };
