import { afterAll } from 'vitest';

// vitest ignores an afterAll registered from inside beforeAll or a test, so helpers push their
// cleanups here and one file-level afterAll (registered when a test file imports this module)
// runs them, newest first.
const cleanups: Array<() => unknown> = [];

export function atEnd(fn: () => unknown): void {
  cleanups.push(fn);
}

afterAll(async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error('cleanup failed', err);
    }
  }
});
