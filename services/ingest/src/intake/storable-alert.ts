import { hasUnstorableText, storableText, type AlertsReceived } from '@klaxon/domain';

type AlertText = Pick<AlertsReceived['alerts'][number], 'labels' | 'annotations' | 'fingerprint' | 'generatorURL'>;

export interface StorableAlert<T> {
  alert: T;
  /** Strings in which a NUL or a lone surrogate was replaced by U+FFFD. */
  replaced: number;
}

function storableSet(set: Record<string, string>, tally: { replaced: number }): Record<string, string> {
  let clean = true;
  for (const key in set) if (hasUnstorableText(key) || hasUnstorableText(set[key]!)) clean = false;
  if (clean) return set;
  // Object.fromEntries defines each key as its own property, `__proto__` included.
  return Object.fromEntries(
    Object.entries(set).map(([key, value]) => {
      const k = storableText(key);
      const v = storableText(value);
      tally.replaced += (k === key ? 0 : 1) + (v === value ? 0 : 1);
      return [k, v];
    }),
  );
}

/**
 * An alert as the stores can keep it: every NUL and lone surrogate of its labels, annotations, fingerprint
 * and link (keys and values) replaced by U+FFFD with `storableText`. The same object when nothing had to
 * change.
 */
export function storableAlert<T extends AlertText>(alert: T): StorableAlert<T> {
  const tally = { replaced: 0 };
  const labels = storableSet(alert.labels, tally);
  const annotations = storableSet(alert.annotations, tally);
  const fingerprint = storableText(alert.fingerprint);
  const generatorURL = alert.generatorURL === undefined ? undefined : storableText(alert.generatorURL);
  tally.replaced += (fingerprint === alert.fingerprint ? 0 : 1) + (generatorURL === alert.generatorURL ? 0 : 1);
  if (tally.replaced === 0) return { alert, replaced: 0 };
  return {
    alert: { ...alert, labels, annotations, fingerprint, ...(generatorURL === undefined ? {} : { generatorURL }) },
    replaced: tally.replaced,
  };
}

/** Text outside an alert (a group key, a dedup key) as the stores can keep it. */
export const storableKey = (text: string): { text: string; replaced: number } => {
  const cleaned = storableText(text);
  return { text: cleaned, replaced: cleaned === text ? 0 : 1 };
};

/** Bytes of a value as JSON, as the bus writes it. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
