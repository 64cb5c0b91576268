import { hasUnstorableText, storableText, type AlertsReceived } from '@klaxon/domain';

type AlertText = Pick<AlertsReceived['alerts'][number], 'labels' | 'annotations' | 'fingerprint' | 'generatorURL'>;

// Printable ASCII but `"` and `\`: such a string takes as many bytes in JSON as it has characters and holds
// nothing a store refuses. Nearly all alert text is like this, and costs this one test.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// A string's quotes and the colon or comma after it.
const STRING_OVERHEAD = 4;
// What an alert holds besides its text: status, instants, field names, braces.
const FIXED_BYTES = 192;

interface Tally {
  replaced: number;
  plainBytes: number;
  /** Some text is not plain: its size in JSON is measured, not added up. */
  measure: boolean;
}

export interface StorableAlert<T> {
  alert: T;
  /** Strings in which a NUL or a lone surrogate was replaced by U+FFFD. */
  replaced: number;
  /** Its size as JSON, in bytes (an upper bound for plain text). */
  bytes: number;
}

function storableString(text: string, tally: Tally): string {
  if (PLAIN.test(text)) {
    tally.plainBytes += text.length + STRING_OVERHEAD;
    return text;
  }
  tally.measure = true;
  if (!hasUnstorableText(text)) return text;
  tally.replaced++;
  return storableText(text);
}

function storableSet(set: Record<string, string>, tally: Tally): Record<string, string> {
  let changed = false;
  const entries: Array<[string, string]> = [];
  for (const key in set) {
    const value = set[key]!;
    const k = storableString(key, tally);
    const v = storableString(value, tally);
    if (k !== key || v !== value) changed = true;
    entries.push([k, v]);
  }
  // Object.fromEntries defines each key as its own property, `__proto__` included.
  return changed ? Object.fromEntries(entries) : set;
}

/**
 * An alert as the stores can keep it: every NUL and lone surrogate of its labels, annotations, fingerprint
 * and link (keys and values) replaced by U+FFFD with `storableText`, and its size as JSON. The same object
 * when nothing had to change.
 */
export function storableAlert<T extends AlertText>(alert: T): StorableAlert<T> {
  const tally: Tally = { replaced: 0, plainBytes: FIXED_BYTES, measure: false };
  const labels = storableSet(alert.labels, tally);
  const annotations = storableSet(alert.annotations, tally);
  const fingerprint = storableString(alert.fingerprint, tally);
  const generatorURL = alert.generatorURL === undefined ? undefined : storableString(alert.generatorURL, tally);
  const cleaned =
    tally.replaced === 0
      ? alert
      : { ...alert, labels, annotations, fingerprint, ...(generatorURL === undefined ? {} : { generatorURL }) };
  return {
    alert: cleaned,
    replaced: tally.replaced,
    bytes: tally.measure ? Buffer.byteLength(JSON.stringify(cleaned)) : tally.plainBytes,
  };
}

/** Text outside an alert (a group key, a dedup key) as the stores can keep it. */
export const storableKey = (text: string): { text: string; replaced: number } => {
  const cleaned = storableText(text);
  return { text: cleaned, replaced: cleaned === text ? 0 : 1 };
};
