import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/ports.js';
import { waitFor } from './service.js';

export { freePort };

// The built CLI in a child process, as an operator runs it: for tests that kill, restart or
// run several instances. Callers register `killChildren` in their own cleanup.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'threadline.js');
export const BUILT = path.join(ROOT, 'dist', 'src', 'main.js');

export interface Served {
  child: ChildProcess;
  url: string;
  smtpPort: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const children: ChildProcess[] = [];
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Even when an assertion failed half-way: no threadline is left running. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    children.filter(alive).map((c) => {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      return gone;
    }),
  );
}

/** The environment of the child: ours without any THREADLINE_* variable, plus the test's. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('THREADLINE_')));
  return { ...base, ...vars };
}

/**
 * `threadline serve` on free ports; resolves once /readyz answers 200. `onSpawn` gets the
 * child's output before then, for tests that watch it start. `wrapper`: a command that ends by
 * exec'ing its arguments (node, the CLI, serve), for a child with a mount namespace of its own.
 */
export async function serve(vars: Record<string, string>, readyMs = 20_000, onSpawn?: (output: () => string) => void, wrapper: string[] = []): Promise<Served> {
  const httpPort = await freePort();
  const smtpPort = await freePort();
  const env = childEnv({ ...vars, THREADLINE_HTTP_PORT: String(httpPort), THREADLINE_SMTP_PORT: String(smtpPort) });
  const argv = [...wrapper, process.execPath, BIN, 'serve'];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  onSpawn?.(() => out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`threadline serve exited with ${child.exitCode} before it was ready:\n${out}`);
      const res = await fetch(`${url}/readyz`).catch(() => null);
      return res?.status === 200 ? true : undefined;
    },
    readyMs,
    `threadline serve on ${url} to answer /readyz`,
  );
  return { child, url, smtpPort, exited, output: () => out };
}
