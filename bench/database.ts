import { type Cluster, createDatabase, startCluster } from '../support/postgres.js';
import { treeCpuSeconds } from './proc.js';

// The database a benchmark runs threadline on, chosen the same way by bench:send and
// bench:inbound: a SQLite file in threadline's data folder (the default), a given
// THREADLINE_DATABASE_URL, or --postgres: a throwaway cluster started for the run.

export interface DatabaseOptions {
  databaseUrl?: string;
  postgres: boolean;
  /** The first count: bench:send runs once per count given (--instances 1,2), the others use the first. */
  instances: number;
}

export const DATABASE_USAGE = `  --database-url  passed to threadline as THREADLINE_DATABASE_URL; use an empty database
  --postgres      starts a throwaway PostgreSQL cluster (Debian's \`postgresql\`, as the
                  integration-pg tests do) with an empty database, and deletes it at the end
  --instances N   N threadline processes (default 1) on one PostgreSQL database and one
                  THREADLINE_SECRET; the load goes to them in turn, counters are summed`;

/** Checks the combination; --instances above 1 needs a database the instances can share. */
export function checkDatabaseOptions(o: DatabaseOptions): DatabaseOptions {
  if (o.postgres && o.databaseUrl) throw new Error('--postgres and --database-url exclude each other');
  const onPostgres = o.postgres || /^postgres(ql)?:/.test(o.databaseUrl ?? '');
  if (o.instances > 1 && !onPostgres) throw new Error('--instances above 1 needs PostgreSQL: --postgres or --database-url postgres://…');
  return o;
}

/** `sqlite` or `postgres`, for the report. */
export const databaseKind = (databaseUrl: string | undefined) => (databaseUrl ? databaseUrl.replace(/:.*/s, '').replace(/^postgresql$/, 'postgres') : 'sqlite');

let cluster: Cluster | undefined;

/**
 * The database URL to give threadline: with --postgres a new cluster and an empty database named
 * `name` (stop it with stopCluster() after every threadline is gone), else --database-url or
 * undefined (SQLite).
 */
export async function benchDatabaseUrl(o: DatabaseOptions, name: string): Promise<string | undefined> {
  if (!o.postgres) return o.databaseUrl;
  const started = performance.now();
  cluster = await startCluster();
  const url = await createDatabase(cluster.adminUrl, name);
  console.log(`PostgreSQL cluster ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${url}`);
  return url;
}

/**
 * CPU seconds the --postgres cluster's server has used so far (every process of it: sessions,
 * background workers, ended or running), or null without one (SQLite; --database-url names a
 * server this machine may not even run). Taken around a run: what the database costs.
 */
export const databaseCpuSeconds = (): number | null => (cluster ? treeCpuSeconds(cluster.pid()) : null);

/** Stops the --postgres cluster, if one was started. Call after cleanup(), so no instance is connected. */
export const stopCluster = async () => cluster?.stop();

/**
 * A second empty database for a second threadline in the same run: a new one in the --postgres
 * cluster, a SQLite file `sqliteFile` when on SQLite; null with --database-url (there is no
 * other to make).
 */
export async function anotherDatabase(o: DatabaseOptions, name: string, sqliteFile: string): Promise<string | null> {
  if (cluster) return createDatabase(cluster.adminUrl, name);
  return o.databaseUrl ? null : `sqlite://${sqliteFile}`;
}
