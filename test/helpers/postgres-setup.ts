import type { TestProject } from 'vitest/node';
import { startCluster } from './postgres.js';

// globalSetup of the integration-pg project: one cluster for the whole run; every service a
// test starts gets its own database on it (test/helpers/postgres.ts, createDatabase).
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const cluster = await startCluster();
  project.provide('postgresAdminUrl', cluster.adminUrl);
  if (process.env.TEST_LOG_LEVEL) console.log(`PostgreSQL test cluster at ${cluster.adminUrl} ready in ${Date.now() - started} ms`);
  return () => cluster.stop();
}
