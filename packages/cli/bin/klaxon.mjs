#!/usr/bin/env node
// `klaxon`: the TypeScript entry run by tsx, as every Klaxon process is (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
