/** One caller's item, waiting for the call that carries it to settle. */
export interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit with one call in flight: the items that arrive while a call is in flight go together in the
 * next one, in the order they came; the first goes at once. `flush` settles every item it is given.
 */
export function grouped<T>(flush: (waiting: Array<Waiting<T>>) => Promise<void>): (item: T) => Promise<void> {
  const waiting: Array<Waiting<T>> = [];
  let flushing = false;
  const flushWaiting = async () => {
    flushing = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0);
        // A flush that throws instead of settling its items refuses them all (settling twice does nothing).
        await flush(batch).catch((error: unknown) => {
          for (const w of batch) w.reject(error);
        });
      }
    } finally {
      flushing = false;
    }
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!flushing) void flushWaiting();
    });
}
