// The checkpointer thread's entry. A worker starts without the parent's TypeScript loader (Node 20 does not
// carry tsx's into a worker, and vitest's never reaches one), so this registers tsx in the thread and then loads
// the TypeScript. A file of its own, not an eval'd string as in scripts/start-all.ts: `tsx/esm/api` then
// resolves from this package, where vitest has no import.meta.resolve and an eval'd string resolves from the cwd.
import { register } from 'tsx/esm/api';

register();
await import('./wal-checkpointer-worker.ts');
