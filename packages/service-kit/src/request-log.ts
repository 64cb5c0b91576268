import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger.ts';

// Express's Request is an IncomingMessage: every service's handlers see `req.log`.
declare module 'node:http' {
  interface IncomingMessage {
    /** The service's logger, for lines about this request. */
    log: Logger;
  }
}

const QUIET_PATHS = new Set(['/metrics', '/health']);

/** The route pattern a request matched; the path itself only when nothing matched (a 404). */
const whereTo = (req: Request) =>
  req.route?.path !== undefined
    ? { route: `${req.baseUrl}${String(req.route.path)}` }
    : { url: req.originalUrl.split('?')[0] };

/** A client's mistake is a warning, never an error: errors are for what we must fix. */
const levelOf = (res: Response) => (res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info');

/**
 * One line per answered request: method, matched route, status, milliseconds. Request lines name the
 * matched route, never the raw path: paths carry signed tokens (/ack/:token).
 *
 * Written here rather than with pino-http: it builds two child loggers and three listeners per request
 * whether or not the line is written, a measurable share of ingest's CPU (docs/benchmarks.md). Here a
 * request costs one listener, and the line is built only when its level is on.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.log = logger;
    if (!QUIET_PATHS.has(req.path)) {
      const started = performance.now();
      // 'close' comes once for every response: after it was sent, or when the client went away first.
      res.once('close', () => {
        const level = res.writableFinished ? levelOf(res) : 'warn';
        if (!logger.isLevelEnabled(level)) return;
        const line = {
          req: { method: req.method },
          res: { status: res.statusCode },
          ...whereTo(req),
          responseTime: Math.round(performance.now() - started),
        };
        logger[level](res.writableFinished ? line : { ...line, aborted: true }, 'request');
      });
    }
    next();
  };
}
