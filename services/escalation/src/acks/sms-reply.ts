export type SmsReply = { action: 'acknowledge' | 'resolve'; number?: number; bundle?: number } | { action: 'help' };

/**
 * GoAlert-style reply codes: `42a` acknowledges incident #42, `42c` closes (resolves) it; a bare `a`,
 * `ack`, `c` or `resolve` means the latest incident paged to this phone; `7aa` and `7cc` act on every
 * incident of bundle 7 (the throttle's one message for many). Case and spaces do not matter.
 */
export function parseSmsReply(body: string): SmsReply {
  const text = body.trim().toLowerCase();
  const bundled = /^(\d+)\s*(aa|cc)$/.exec(text);
  if (bundled) return { action: bundled[2] === 'aa' ? 'acknowledge' : 'resolve', bundle: Number(bundled[1]) };
  const coded = /^(\d+)\s*(a|ack|c|close|r|resolve)$/.exec(text);
  if (coded) return { action: /^[a]/.test(coded[2]!) ? 'acknowledge' : 'resolve', number: Number(coded[1]) };
  if (/^(a|ack|acknowledge)$/.test(text)) return { action: 'acknowledge' };
  if (/^(c|close|r|resolve)$/.test(text)) return { action: 'resolve' };
  return { action: 'help' };
}
