import { z } from 'zod';

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/** The escalation chain: L1 on-call engineer, L2 team lead, L3 engineering manager, L4 CTO. */
export const LEVELS = [1, 2, 3, 4] as const;
export type Level = (typeof LEVELS)[number];
export const HIGHEST_LEVEL: Level = 4;
export const levelSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

export const LEVEL_NAMES = ['L1', 'L2', 'L3', 'L4'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];

export const levelName = (level: Level): LevelName => `L${level}`;
export const levelFromName = (name: LevelName): Level => Number(name.slice(1)) as Level;
export const nextLevel = (level: Level): Level | undefined =>
  level < HIGHEST_LEVEL ? ((level + 1) as Level) : undefined;
