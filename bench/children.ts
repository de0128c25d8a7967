import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../support/ports.js';
import { sinkMessageCount } from './lib.js';

// Every process and folder a benchmark makes is registered here, so that one cleanup() ends
// them all: on success, on error, and on Ctrl-C.

export interface Child {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far (capped), for counters and error messages. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const OUTPUT_CAP = 1 << 20;

export function spawnChild(command: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(proc);
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    // smtp-sink -c never stops writing its counter line: keep only the tail.
    if (out.length > OUTPUT_CAP) out = out.slice(-OUTPUT_CAP / 2);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('error', (err) => {
      out += `\n${String(err)}`;
      children.delete(proc);
      resolve('spawn-error');
    });
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return { proc, output: () => out, exited };
}

export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** Finds a program on PATH or in the sbin folders, where Postfix's tools live. */
export function findProgram(name: string): string {
  const folders = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of folders) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* try the next */
    }
  }
  throw new Error(`${name} not found on PATH or in /usr/sbin; install Postfix (apt-get install postfix)`);
}

/** Sends SIGTERM to one child and SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<number | string> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return child.exited;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
  }
}

let cleaning: Promise<void> | null = null;

/** True once cleanup has begun: errors after that are the children going away, not findings. */
export const cleaningUp = () => cleaning !== null;

/** Ends every child still running and removes every temp folder. Safe to call twice. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(
      [...children].map(
        (proc) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
            proc.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            proc.kill('SIGTERM');
          }),
      ),
    );
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

/** On Ctrl-C or SIGTERM the benchmark is abandoned, but its children and folders still go. */
export function cleanupOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
      console.error(`\n${signal}: stopping the benchmark and its children`);
    });
  }
}

/** Postfix's smtp-sink on a free loopback port, counting messages (-c); the benchmarks' receiving end and yardstick. */
export async function startSink(): Promise<{ child: Child; port: number; count(): number }> {
  const port = await freePort();
  // As root, smtp-sink must drop to an unprivileged user once its socket is open.
  const privs = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const child = spawnChild(findProgram('smtp-sink'), [...privs, '-c', `127.0.0.1:${port}`, '1000']);
  await waitListening(port, child, 'smtp-sink');
  return { child, port, count: () => sinkMessageCount(child.output()) };
}

/** Resolves once `port` on 127.0.0.1 takes connections; rejects if `child` exits first or after `ms`. */
export async function waitListening(port: number, child: Child, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start: ${child.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
