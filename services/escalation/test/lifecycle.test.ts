import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../src/service/lifecycle.ts';

const recorder = () => {
  const seen: string[] = [];
  const step = (name: string, fail = false) => ({
    name,
    start: () => {
      if (fail) throw new Error('no store');
      seen.push(`start ${name}`);
    },
    stop: async () => void seen.push(`stop ${name}`),
  });
  return { seen, step };
};

describe('the service lifecycle', () => {
  it('starts its steps in order and stops them in reverse', async () => {
    const { seen, step } = recorder();
    const lifecycle = new Lifecycle([step('subscription'), step('consumer'), step('timers')]);
    await lifecycle.start();
    await lifecycle.stop();
    expect(seen).toEqual([
      'start subscription',
      'start consumer',
      'start timers',
      'stop timers',
      'stop consumer',
      'stop subscription',
    ]);
  });

  it('a step that fails to start stops what had started, names itself, and nothing is stopped twice', async () => {
    const { seen, step } = recorder();
    const lifecycle = new Lifecycle([step('subscription'), step('consumer', true), step('timers')]);
    await expect(lifecycle.start()).rejects.toThrow('starting consumer failed: no store');
    await lifecycle.stop();
    expect(seen).toEqual(['start subscription', 'stop subscription']);
  });
});
