import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a `/proc/.../stat` line, in seconds. */
const statCpuSeconds = (stat: string) => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};

/** CPU seconds a whole process (all its threads) has used so far; 0 once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * CPU seconds each thread of a process has used so far, summed by thread name (`/proc/<pid>/task/<tid>/stat`):
 * the main thread is `main thread`; the others keep their own names (a worker thread and V8's and libuv's helpers). Differences of two readings give where the time went between them.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = tid === String(pid) ? 'main thread' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    byName.set(name, (byName.get(name) ?? 0) + statCpuSeconds(stat));
  }
  return byName;
}

export function cpuBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
}

/** What processes have asked of the kernel: read and write calls (`/proc/<pid>/io`) and context switches of all their threads. */
export interface KernelCalls {
  reads: number;
  writes: number;
  switches: number;
}

/** The read and write calls and context switches of these processes so far, summed; a process gone counts none. */
export function kernelCalls(...pids: Array<number | undefined>): KernelCalls {
  const calls = { reads: 0, writes: 0, switches: 0 };
  for (const pid of pids) {
    if (pid === undefined) continue;
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      calls.reads += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0);
      calls.writes += Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        try {
          const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
          for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm))
            calls.switches += Number(m[1]);
        } catch {
          // the thread ended between the listing and the read
        }
      }
    } catch {
      // gone
    }
  }
  return calls;
}

export const callsBetween = (before: KernelCalls, after: KernelCalls): KernelCalls => ({
  reads: after.reads - before.reads,
  writes: after.writes - before.writes,
  switches: after.switches - before.switches,
});
