import type { Response } from 'express';

/**
 * A JSON answer written straight to the response, for a hot path. Express's `res.json` looks up its JSON
 * settings, works out the charset, checks freshness and sizes the body on every call (its cost is in
 * docs/benchmarks.md), and ingest answers every webhook of a storm. Headers set before (Retry-After)
 * go out with it, as with `res.json`.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    .end(text);
}
