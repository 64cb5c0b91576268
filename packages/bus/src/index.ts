export * from './bus.ts';
export * from './embedded-bus.ts';
export * from './kafka-bus.ts';
export * from './from-env.ts';
export { DEAD_LETTER_AFTER } from './poison.ts';
