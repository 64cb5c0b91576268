import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per event. Secrets never reach a log line: the redaction list covers every header
 * and field that carries a token, and request bodies are never logged whole.
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-twilio-signature"]',
        '*.token',
        '*.routing_key',
        '*.password',
        '*.authToken',
      ],
      censor: '[redacted]',
    },
  });
}
