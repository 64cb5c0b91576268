import { describe, expect, it } from 'vitest';
import { groupedSender, type OutgoingMessage } from '../src/kafka-grouped-sender.ts';
import { outcomeOf, nextTurn } from './support/outcome.ts';

/** A send whose every call waits until the test lets it go, as a produce request waits for the broker's acks. */
function heldSend() {
  const calls: Array<{ topic: string; keys: string[]; done: (error?: Error) => void }> = [];
  const send = (topic: string, messages: OutgoingMessage[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ topic, keys: messages.map((m) => m.key), done: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, send };
}
const msg = (key: string): OutgoingMessage => ({ key, value: `{"k":"${key}"}` });
const settled = (p: Promise<void>) => outcomeOf(p, 'accepted');

describe('publishing to Kafka with one request in flight: the publishes that wait go together', () => {
  it('given a send in flight, the four publishes that come meanwhile go in one next send, in the order they came', async () => {
    const { calls, send } = heldSend();
    const publish = groupedSender(send);
    const first = publish('alerts', [msg('a')]);
    await nextTurn();
    const later = [
      publish('alerts', [msg('b'), msg('c')]),
      publish('alerts', [msg('d')]),
      publish('alerts', [msg('a')]),
      publish('alerts', [msg('e')]),
    ];
    await nextTurn();
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0]!.done();
    expect(await settled(first)).toBe('accepted');
    await nextTurn();
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c', 'd', 'a', 'e']]);
    calls[1]!.done();
    expect(await Promise.all(later.map(settled))).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  });

  it('answers no publish before its send is acknowledged, and refuses every publish of a send that fails, not the next', async () => {
    const { calls, send } = heldSend();
    const publish = groupedSender(send);
    const first = publish('alerts', [msg('a')]);
    await nextTurn();
    const grouped = [publish('alerts', [msg('b')]), publish('alerts', [msg('c')])];
    let answered = false;
    void Promise.all(grouped.map(settled)).then(() => (answered = true));
    calls[0]!.done();
    await settled(first);
    await nextTurn();
    expect(answered).toBe(false);
    calls[1]!.done(new Error('broker down'));
    expect(await Promise.all(grouped.map(settled))).toEqual(['refused: broker down', 'refused: broker down']);
    const after = publish('alerts', [msg('d')]);
    await nextTurn();
    calls[2]!.done();
    expect(await settled(after)).toBe('accepted');
  });

  it('sends each topic of a group on its own', async () => {
    const { calls, send } = heldSend();
    const publish = groupedSender(send);
    const first = publish('alerts', [msg('a')]);
    await nextTurn();
    const others = [
      publish('alerts', [msg('b')]),
      publish('alerts.dead-letter', [msg('x')]),
      publish('alerts', [msg('c')]),
    ];
    calls[0]!.done();
    await settled(first);
    await nextTurn();
    expect(calls.slice(1).map((c) => [c.topic, c.keys])).toEqual([['alerts', ['b', 'c']]]);
    calls[1]!.done();
    await nextTurn();
    expect(calls.slice(2).map((c) => [c.topic, c.keys])).toEqual([['alerts.dead-letter', ['x']]]);
    calls[2]!.done();
    expect(await Promise.all(others.map(settled))).toEqual(['accepted', 'accepted', 'accepted']);
  });
});
