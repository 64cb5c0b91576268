/** What a call came to, as a word a test can compare: `done` (or the word given), or `refused: <message>`. */
export const outcomeOf = async (call: Promise<void>, done = 'done'): Promise<string> =>
  call.then(
    () => done,
    (error: Error) => `refused: ${error.message}`,
  );

/** One turn of the event loop, for what waits on the calls in flight to move on. */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
