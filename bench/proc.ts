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

/** CPU seconds (user and system) a process has used so far, from /proc/PID/stat; steadier than rates on a busy machine. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds a process's main thread has used so far (its first task, whose id is the
 * process's): with cpuSeconds(), what its other threads (inbound, delivery, V8's collectors) took.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number {
  const stat = fs.readFileSync(file, 'utf8');
  // Fields after the command name (in parentheses, which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
