import fs from 'node:fs';

// Resident memory of a process, read from /proc: what the memory figures of the benchmarks are.

export const MB = 1024 * 1024;

/** A /proc/PID/status field in bytes (VmRSS: resident now; VmHWM: the peak so far). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}
