import { createHash } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import { verifySignature } from '@vonage/jwt';
import type { KeypressDeps } from '../acks/keypress.ts';
import { acknowledgeByKeypress } from '../acks/keypress.ts';

export interface VonageRouteDeps extends KeypressDeps {
  /** The account's signature secret; without it every webhook is refused. */
  signatureSecret?: string;
}

/**
 * Vonage signs each webhook with a JWT (HS256, the account's signature secret) in `Authorization: Bearer`,
 * whose `payload_hash` is the SHA-256 of the body: the signature alone would let a captured token carry
 * another body.
 */
const vonageSignatureCheck =
  (secret: string | undefined): RequestHandler =>
  (req, res, next) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const claims = token ? decodeClaims(token) : undefined;
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    if (!secret || !token || !verifySignature(token, secret) || claims?.payload_hash !== bodyHash) {
      req.log.warn('Vonage webhook with a missing or invalid signature');
      return void res.status(403).json({ error: 'invalid Vonage signature' });
    }
    next();
  };

function decodeClaims(token: string): { payload_hash?: string } | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      payload_hash?: string;
    };
  } catch {
    return undefined;
  }
}

/** The keypress of a call Vonage placed (the NCCO's `input` posts here): 1 acknowledges, as on Twilio's calls. */
export function vonageRoutes(routes: Router, deps: VonageRouteDeps): void {
  const raw = express.raw({ type: () => true, limit: '64kb' });
  routes.post('/webhooks/vonage/voice', raw, vonageSignatureCheck(deps.signatureSecret), async (req, res) => {
    const { incident, bundle, contact } = req.query as { incident?: string; bundle?: string; contact?: string };
    let digits: string | undefined;
    try {
      digits = (JSON.parse((req.body as Buffer).toString('utf8')) as { dtmf?: { digits?: string } }).dtmf?.digits;
    } catch {
      return void res.status(400).json({ error: 'the body is not JSON' });
    }
    const text = await acknowledgeByKeypress(deps, { incident, bundle, contact, digits });
    res.json([{ action: 'talk', text }]);
  });
}
