export * from './principal.ts';
export * from './service-tokens.ts';
export * from './token-secret.ts';
export * from './personal-tokens.ts';
export * from './authenticator.ts';
export * from './require-role.ts';
