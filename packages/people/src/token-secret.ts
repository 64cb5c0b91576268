import { createHash, randomBytes } from 'node:crypto';

export const PERSONAL_TOKEN_PREFIX = 'kx_';

/** 32 random bytes: guessing one is hopeless, so a fast unsalted sha256 is enough to keep it unreadable. */
export const newPersonalToken = (): string => `${PERSONAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
export const newTokenId = (): string => randomBytes(6).toString('hex');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
