import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, trackDir } from './children.js';
import { CSV_HEADER, csvRow } from './outbound-setup.js';
import { cpuSeconds, procStatus } from './proc.js';
import type { ThreadlineUnderTest } from './threadline.js';

// bench:outbound --csv N: a CSV of N contacts through `threadline send`, the real CLI, as an
// operator runs it beside a running threadline (same data folder, database and secret). Resident
// memory of both processes is sampled over the run against the rows the CLI has sent, so that
// memory growing with the file's length shows.

const BIN = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'threadline.js');
const SAMPLE_MS = 100;
const MILESTONES = [10, 50, 100] as const;

export interface CsvRun {
  rows: number;
  seconds: number;
  /** Resident bytes of the CLI and of threadline when the CLI had sent 10 %, 50 % and 100 % of the rows. */
  at: Array<{ percent: number; rows: number; cli: number; server: number }>;
  cliPeak: number;
  serverPeak: number;
  /** CPU seconds of the CLI over its life, and of threadline over the same time (delivering meanwhile). */
  cliCpu: number;
  serverCpu: number;
  /** What the CLI printed last (its summary line). */
  summary: string;
}

/** Writes N rows in chunks (the file itself is not held in memory either). */
export function writeCsv(rows: number): string {
  const file = path.join(trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-csv-'))), 'contacts.csv');
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, CSV_HEADER);
    for (let start = 0; start < rows; start += 10_000) {
      let chunk = '';
      for (let i = start; i < Math.min(rows, start + 10_000); i++) chunk += csvRow(i);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/** The row count of the CLI's last progress line (one a second on a pipe). */
function rowsDone(output: string): number {
  const all = [...output.slice(-2000).matchAll(/\] (\d+)\/\d+ rows/g)];
  return all.length ? Number(all[all.length - 1]![1]) : 0;
}

/** Runs `threadline send` on `file` and samples both processes until it exits. */
export async function runCli(tl: ThreadlineUnderTest, configurationId: string, file: string, rows: number, profileDir?: string): Promise<CsvRun> {
  const results = `${file}.results.csv`;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const t0 = performance.now();
  const cli = spawnChild(process.execPath, [...nodeArgs, BIN, 'send', '--configuration', configurationId, '--contacts', file, '--results', results], { env: tl.env });
  const serverPid = tl.child.proc.pid!;
  const samples: Array<{ rows: number; cli: number; server: number }> = [];
  let cliPeak = 0;
  let cliCpu = 0;
  const serverCpuBefore = cpuSeconds(serverPid);
  const sample = () => {
    try {
      const pid = cli.proc.pid!;
      samples.push({ rows: rowsDone(cli.output()), cli: procStatus(pid, 'VmRSS'), server: procStatus(serverPid, 'VmRSS') });
      cliPeak = procStatus(pid, 'VmHWM');
      cliCpu = cpuSeconds(pid);
    } catch {
      // The CLI exited between two samples: its last reading stands.
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const code = await cli.exited;
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = cpuSeconds(serverPid) - serverCpuBefore;
  if (code !== 0) throw new Error(`threadline send exited with ${code}:\n${cli.output().slice(-3000)}`);
  const last = samples[samples.length - 1];
  if (!last) throw new Error('threadline send ended before its memory could be read');
  const at = MILESTONES.map((percent) => {
    const s = samples.find((x) => x.rows >= (rows * percent) / 100) ?? last;
    return { percent, ...s };
  });
  return { rows, seconds, at, cliPeak, serverPeak: procStatus(serverPid, 'VmHWM'), cliCpu, serverCpu, summary: cli.output().trim().split('\n').pop() ?? '' };
}
