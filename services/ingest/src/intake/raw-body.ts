/** A request's JSON as it came, from service-kit's `jsonBody`. */
export interface RawBody {
  bytes: Buffer;
  encoding: string;
}

/**
 * Whether any string of the body may hold a NUL or a lone surrogate. In UTF-8 JSON text they can only be
 * `\u` escapes: a raw control character is no JSON, and a surrogate's bytes are no UTF-8 (they decode as
 * U+FFFD). A body without `\u0000` or a `\uD…` escape needs no cleaning, which spares every string of a
 * notification its own test; a body in another character set is cleaned string by string.
 */
export function mayHoldUnstorableText(body: RawBody | undefined): boolean {
  if (body === undefined || !/^utf-?8$/i.test(body.encoding)) return true;
  const { bytes } = body;
  return bytes.includes('\\u0000') || bytes.includes('\\ud') || bytes.includes('\\uD');
}
