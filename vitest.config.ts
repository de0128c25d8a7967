import { defineConfig } from 'vitest/config';

const integration = {
  include: ['test/integration/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Each file starts its own servers on port 0 and its own database; two at a time suits the
  // two-core machine.
  maxWorkers: 2,
  // Projects with different worker counts must run as separate groups (vitest 4 refuses one
  // group with two worker counts): unit first, then both integration projects together, their
  // files sharing the two workers.
  sequence: { groupOrder: 1 },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: { name: 'integration', ...integration },
      },
      {
        test: {
          // The web console in a real headless Chromium (test/helpers/browser.ts), one browser
          // per file; its files share the integration projects' two workers.
          name: 'console',
          ...integration,
          include: ['test/console/**/*.test.ts'],
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The same files on PostgreSQL: one throwaway cluster for the run (globalSetup), a
          // fresh database for every service a test starts (test/helpers/postgres.ts).
          name: 'integration-pg',
          ...integration,
          globalSetup: ['test/helpers/postgres-setup.ts'],
        },
      },
      {
        test: {
          // Two threadline processes on one PostgreSQL cluster of its own (5,000 sends, 1,000
          // replies, 50 agents): alone, after the rest, because it wants both cores.
          name: 'multi-instance',
          include: ['test/multi-instance/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          // A PostgreSQL of its own that the tests crash, stop and restart under load: alone,
          // after the rest, so that nothing else shares its timing.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
