import { createDatabase as createDatabaseOn } from '../../support/postgres.js';

// The cluster code lives in support/postgres.ts (the benchmarks use it too, without vitest); this
// module adds what only the tests need: the cluster that globalSetup provides to test files.
export { type Cluster, findPostgresBin, startCluster } from '../../support/postgres.js';

/**
 * Creates an empty database on the cluster and returns its URL. Without `adminUrl`, uses the
 * cluster that the integration-pg project's globalSetup provides to test files.
 */
export async function createDatabase(adminUrl?: string, prefix = 'tl'): Promise<string> {
  adminUrl ??= await providedCluster();
  if (!adminUrl) throw new Error('no PostgreSQL cluster: createDatabase() needs the integration-pg project or an adminUrl');
  // Not dropped afterwards: the whole cluster is deleted at the end of the run.
  return createDatabaseOn(adminUrl, prefix);
}

/**
 * What a test's service should use: a fresh PostgreSQL database in the integration-pg project,
 * null (SQLite in the data folder) elsewhere.
 */
export async function testDatabaseUrl(): Promise<string | null> {
  return (await providedCluster()) ? createDatabase() : null;
}

// Imported lazily: globalSetup loads this module outside a test worker.
async function providedCluster(): Promise<string | undefined> {
  const { inject } = await import('vitest');
  return inject('postgresAdminUrl');
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/helpers/postgres-setup.ts for the integration-pg project only. */
    postgresAdminUrl?: string;
  }
}
