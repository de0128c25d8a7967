import fs from 'node:fs';

// A process's resident memory and CPU time, read from /proc: the benchmarks' memory and CPU figures.

export const MB = 1024 * 1024;
/** USER_HZ, the unit of /proc's CPU times: 100 on Linux on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** A /proc/PID/status field in bytes (VmRSS: resident now; VmHWM: the peak so far). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}

/** The fields of /proc/PID/stat after the command name (in parentheses, which may hold spaces). */
function statFields(pid: number | string): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user and system) a process has used so far, from /proc/PID/stat; steadier than rates on a busy machine. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(statFields(pid));
}

/**
 * CPU seconds a process's main thread has used so far (its first task, whose id is the
 * process's): with cpuSeconds(), what its other threads (inbound, delivery, V8's collectors) took.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(statFields(`${pid}/task/${pid}`));
}

function statCpuSeconds(fields: string[]): number {
  // utime and stime are the 12th and 13th.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by a process and every process it started, gone or running: its own,
 * its ended children's (cutime and cstime, counted once a child is reaped), and its running
 * children's, theirs included. Taken before and after a run, the difference is the tree's CPU
 * over the run even when children come and go (PostgreSQL's sessions and background workers).
 */
export function treeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(entry)[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked: its CPU is in its parent's cutime now.
    }
  }
  const tree = (p: number): number => {
    let ticks = 0;
    try {
      const f = statFields(p);
      ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      return 0;
    }
    return ticks + (children.get(p) ?? []).reduce((sum, c) => sum + tree(c), 0);
  };
  return tree(pid) / TICKS_PER_SECOND;
}
