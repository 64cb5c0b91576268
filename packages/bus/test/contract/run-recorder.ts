import { UnprocessableRecordError, type DeliveredRecord } from '../../src/index.ts';

/**
 * Handlers for the tests of runs (`handleRun`), on string values: they record what came as runs and what
 * one by one. The value 'bad' cannot be handled; the run that starts with `failsOnce` throws the first time.
 */
export function runRecorder(failsOnce: string) {
  const runs: string[][] = [];
  const one: string[] = [];
  let failed = false;
  return {
    runs,
    one,
    async handleRun(records: DeliveredRecord[]) {
      const run = records.map((r) => r.value as string);
      runs.push(run);
      if (run.includes('bad')) throw new UnprocessableRecordError('not a thing');
      if (run[0] === failsOnce && !failed) {
        failed = true;
        throw new Error('not yet');
      }
    },
    async handle(record: DeliveredRecord) {
      if (record.value === 'bad') throw new UnprocessableRecordError('not a thing');
      one.push(record.value as string);
    },
  };
}
