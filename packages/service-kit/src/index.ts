export * from './logger.ts';
export * from './readiness.ts';
export * from './http-server.ts';
export * from './env.ts';
export * from './run-until-signal.ts';
export * from './clock.ts';
export * from './tokens.ts';
export * from './problems.ts';
