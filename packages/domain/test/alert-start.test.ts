import { describe, expect, it } from 'vitest';
import { believedStart, isAlreadyHandled } from '../src/index.ts';

const receivedAt = '2026-11-23T10:00:00.000Z';

describe('when an alert started, as escalation takes it', () => {
  it.each([
    ['a start before its receipt', '2026-11-23T09:58:00.000Z', '2026-11-23T09:58:00.000Z'],
    ['a start within the clock-skew allowance after it', '2026-11-23T10:04:59.000Z', '2026-11-23T10:04:59.000Z'],
    ['a start past the allowance', '2026-11-23T10:05:01.000Z', receivedAt],
    ['a start in year 9999', '9999-12-31T23:59:59.000Z', receivedAt],
  ])('%s', (_, startsAt, believed) => expect(believedStart({ startsAt, receivedAt })).toBe(believed));
});

describe('an alert a resolved incident already had', () => {
  const resolvedAt = '2026-11-23T10:30:00.000Z';
  it('is the same alert when it starts no later than recorded, and the next occurrence when later', () => {
    expect(isAlreadyHandled('2026-11-23T09:58:00.000Z', '2026-11-23T09:58:00.000Z', resolvedAt)).toBe(true);
    expect(isAlreadyHandled('2026-11-23T09:50:00.000Z', '2026-11-23T09:58:00.000Z', resolvedAt)).toBe(true);
    expect(isAlreadyHandled('2026-11-23T11:00:00.000Z', '2026-11-23T09:58:00.000Z', resolvedAt)).toBe(false);
  });

  it('recorded with a start in the future (before starts were checked), does not outlast its resolution', () => {
    expect(isAlreadyHandled('2026-11-23T11:00:00.000Z', '9999-12-31T23:59:59.000Z', resolvedAt)).toBe(false);
    expect(isAlreadyHandled('2026-11-23T10:00:00.000Z', '9999-12-31T23:59:59.000Z', resolvedAt)).toBe(true);
  });
});
