import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

/** A time one of the machine's cores did not run an idle process's timer when it was due: [start, end) in epoch ms. */
export interface Stall {
  core: number;
  start: number;
  ms: number;
}

/** The stalls seen over a time, and the cores whose watcher was not running at the end. */
export interface StallsSeen {
  stalls: Stall[];
  unwatched: number[];
}

/** A stall this long or longer is one; a 1 ms timer is late by up to a millisecond or two when all is well. */
export const STALL_MS = 5;

// A process of its own, doing nothing but waking every millisecond: where it wakes late, so does any thread of
// the machine's due then on the same core, whatever its code. One per core, each held to its core (taskset):
// a virtual machine's core can stall alone, and an unpinned watcher would be moved to the other. Lateness by
// the monotonic clock; the stall's start by the wall clock, as the probes' 202s are stamped. It ends with the
// bench: its standard input closes when the bench's process goes, however it goes.
const WATCHER = `
let last = performance.now();
setInterval(() => {
  const at = performance.now();
  const late = at - last - 1;
  if (late >= ${STALL_MS}) process.stdout.write(\`\${(Date.now() - late).toFixed(0)} \${late.toFixed(1)}\\n\`);
  last = at;
}, 1);
process.stdin.on('end', () => process.exit(0)).resume();
`;

/**
 * The machine's stalls while the bench runs, as an idle process on each core sees them (the virtual machine's
 * scheduling, and under load the wait for a core): a time-to-page probe that met one may be slow whatever
 * Klaxon does. A core whose watcher could not start or ended early is reported as not watched.
 */
export function startStallWatch() {
  const stalls: Stall[] = [];
  const unwatched = new Set<number>();
  const watchers = Array.from({ length: availableParallelism() }, (_, core) => {
    const child = spawn('taskset', ['-c', String(core), process.execPath, '-e', WATCHER], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stopping = false;
    child.on('error', () => unwatched.add(core));
    child.on('exit', () => {
      if (!stopping) unwatched.add(core);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [start, ms] = line.split(' ').map(Number);
      if (Number.isFinite(start) && Number.isFinite(ms)) stalls.push({ core, start: start!, ms: ms! });
    });
    return {
      async stop() {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      },
    };
  });
  return {
    /** The stalls that overlap [from, to], in epoch ms, and the cores not watched at the end. */
    during(from: number, to: number): StallsSeen {
      return {
        stalls: stalls.filter((s) => s.start < to && s.start + s.ms > from),
        unwatched: [...unwatched],
      };
    },
    async stop(): Promise<void> {
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}

/**
 * "3 of 5 ms or more, longest 12 ms", or "none of 5 ms or more". One pause seen on both cores at once is one
 * stall: stalls that overlap in time are counted together.
 */
export function describeStalls({ stalls, unwatched }: StallsSeen): string {
  const cores = unwatched.length > 0 ? ` (core ${unwatched.join(', ')} not watched)` : '';
  if (stalls.length === 0) return `none of ${STALL_MS} ms or more${cores}`;
  const byStart = [...stalls].sort((a, b) => a.start - b.start);
  let count = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of byStart) {
    if (s.start >= end) count++;
    end = Math.max(end, s.start + s.ms);
  }
  const longest = Math.max(...stalls.map((s) => s.ms));
  return `${count} of ${STALL_MS} ms or more, longest ${longest.toFixed(0)} ms${cores}`;
}
