import { defineConfig } from 'vitest/config';

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
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file starts its own servers on port 0 and its own SQLite file; two at a time
          // suits the two-core machine.
          maxWorkers: 2,
          // Projects with different worker counts must run as separate groups: unit first.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
