import type { Request, Response, NextFunction } from 'express';
import express from 'express';
import typeIs from 'type-is';

export type ClientErrorReason = 'invalid' | 'too_large' | 'unsupported_media_type';

export interface ClientError {
  status: number;
  reason: ClientErrorReason;
  body: { error: string; problems?: Array<{ path: string; message: string }>; limitBytes?: number };
}

interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
  limit?: number;
}

const asBodyParserError = (error: unknown): BodyParserError | undefined =>
  typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string'
    ? (error as BodyParserError)
    : undefined;

const invalid = (message: string): ClientError => ({
  status: 400,
  reason: 'invalid',
  body: { error: message, problems: [{ path: '', message }] },
});

/** What a body parser's refusal means to the sender; undefined for anything that is our fault. */
export function clientErrorOf(error: unknown): ClientError | undefined {
  if (error instanceof UnsupportedMediaType)
    return { status: 415, reason: 'unsupported_media_type', body: { error: error.message } };
  const e = asBodyParserError(error);
  if (!e) return undefined;
  switch (e.type) {
    case 'entity.too.large':
      return {
        status: 413,
        reason: 'too_large',
        body: { error: 'request body is over the size limit', limitBytes: e.limit },
      };
    case 'entity.parse.failed':
      return invalid(`the body is not valid JSON: ${e.message}`);
    case 'request.size.invalid':
      return invalid('Content-Length does not match the body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, reason: 'unsupported_media_type', body: { error: e.message } };
    default:
      return e.status !== undefined && e.status >= 400 && e.status < 500 ? invalid(e.message) : undefined;
  }
}

class UnsupportedMediaType extends Error {}

/**
 * JSON bodies only: a request that carries a body of another type is refused (415) rather than parsed as
 * a string and refused as invalid; malformed JSON is a 400 and an oversized body a 413 naming the limit.
 */
export function jsonBody(limitBytes = 1024 * 1024) {
  const parse = express.json({
    limit: limitBytes,
    type: () => true,
    // The JSON as it came (after any content encoding) and its character set, for a handler that sizes
    // what it writes by it or looks for what the parsed values cannot show cheaply.
    verify: (_req, res, body, encoding) => {
      (res as Response).locals.bodyBytes = body.length;
      (res as Response).locals.rawBody = { bytes: body, encoding };
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!typeIs.hasBody(req)) return next();
    if (!typeIs(req, ['application/json', '+json']))
      return next(new UnsupportedMediaType('send JSON with Content-Type: application/json'));
    parse(req, res, next);
  };
}
