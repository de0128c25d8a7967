import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './lib.js';

// A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb into a temp folder,
// start it on a free loopback port, delete it all at the end. No Docker, no shared server.
// Used by the integration-pg tests (test/helpers/postgres.ts) and by the benchmarks (--postgres);
// no vitest here, so the compiled bench can load it.

export interface Cluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * The newest /usr/lib/postgresql/<major>/bin that has initdb (Debian keeps it off PATH), else
 * the folder `pg_config --bindir` names (other systems), or null.
 */
export function findPostgresBin(): string | null {
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

// The server refuses to run as root: as root, run its programs as the `postgres` user that
// Debian's package creates, on a folder that user owns.
const asRoot = process.getuid?.() === 0;
function pgArgs(bin: string, program: string, args: string[]): [string, string[]] {
  const exe = path.join(bin, program);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
}

/** Starts a cluster and waits until it accepts connections. */
export async function startCluster(): Promise<Cluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL's initdb not found (/usr/lib/postgresql/*/bin, pg_config --bindir): install Debian's `postgresql` package (.ci/run does)");
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
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ];
    // A free port can be taken between our probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        // -w: pg_ctl returns once the server reports itself ready.
        run('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', log, '-o', `-p ${port} ${options.join(' ')}`, 'start']);
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
