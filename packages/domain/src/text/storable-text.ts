// PostgreSQL's jsonb and text refuse U+0000, and a lone UTF-16 surrogate has no UTF-8 form at all: one such
// character in an alert would make every store refuse the event that carries it. Boundaries replace both with
// U+FFFD (what a UTF-8 decoder shows for bytes it cannot read) so that the rest of the text is kept.
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const HAS_UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Whether a store would refuse this text (a NUL, or a surrogate without its pair). */
export const hasUnstorableText = (text: string): boolean => HAS_UNSTORABLE.test(text);

/** The text with every NUL and lone surrogate replaced by U+FFFD; the same string when there is none. */
export const storableText = (text: string): string =>
  HAS_UNSTORABLE.test(text) ? text.replace(UNSTORABLE, REPLACEMENT_CHARACTER) : text;
