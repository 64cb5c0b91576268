import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

/** A time one of the machine's cores did not run an idle process's timer when it was due: [start, end) in epoch ms. */
export interface Stall {
  core: number;
  start: number;
  ms: number;
}

/** A stall this long or longer is one; a 1 ms timer is late by up to a millisecond or two when all is well. */
export const STALL_MS = 5;

// A process of its own, doing nothing but waking every millisecond: where it wakes late, so does any thread of
// the machine's due then on the same core, whatever its code. One per core, each held to its core (taskset):
// a virtual machine's core can stall alone, and an unpinned watcher would be moved to the other.
const WATCHER = `
const now = () => performance.timeOrigin + performance.now();
let last = now();
setInterval(() => {
  const at = now();
  const late = at - last - 1;
  if (late >= ${STALL_MS}) process.stdout.write(\`\${(last + 1).toFixed(1)} \${late.toFixed(1)}\\n\`);
  last = at;
}, 1);
`;

/**
 * The machine's stalls while the bench runs, as an idle process on each core sees them (the virtual machine's
 * scheduling, and under load the wait for a core): a time-to-page probe that met one may be slow whatever
 * Klaxon does.
 */
export function startStallWatch() {
  const stalls: Stall[] = [];
  const watchers = Array.from({ length: availableParallelism() }, (_, core) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, '-e', WATCHER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [start, ms] = line.split(' ').map(Number);
      if (Number.isFinite(start) && Number.isFinite(ms)) stalls.push({ core, start: start!, ms: ms! });
    });
    return child;
  });
  return {
    /** The stalls that overlap [from, to], in epoch ms. */
    during(from: number, to: number): Stall[] {
      return stalls.filter((s) => s.start < to && s.start + s.ms > from);
    },
    async stop(): Promise<void> {
      await Promise.all(
        watchers.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill();
          await exited;
        }),
      );
    },
  };
}

/** "3 over 5 ms, longest 12 ms", or "none over 5 ms". */
export function describeStalls(stalls: Stall[]): string {
  if (stalls.length === 0) return `none over ${STALL_MS} ms`;
  return `${stalls.length} over ${STALL_MS} ms, longest ${Math.max(...stalls.map((s) => s.ms)).toFixed(0)} ms`;
}
