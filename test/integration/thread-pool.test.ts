import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ThreadPool, threadPool } from '../../src/threads/pool.js';
import { ROOT } from '../helpers/child-service.js';
import { tempDir } from '../helpers/service.js';

// Each worker thread is a V8 heap of its own: a pool that grows with its load starts another
// only once the running ones are busy, and a light load keeps to one.

const BUILT_POOL = path.join(ROOT, 'dist', 'src', 'threads', 'pool.js');

/** A thread module answering each request, once released, with the id of the thread that took it. */
function echoThread(): string {
  const file = path.join(tempDir(), 'echo-thread.mjs');
  fs.writeFileSync(
    file,
    `import { threadId } from 'node:worker_threads';
const { serveRequests } = await import(${JSON.stringify(pathToFileURL(BUILT_POOL).href)});
serveRequests(async () => threadId);
`,
  );
  return file;
}

let pool: ThreadPool<null, number> | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('thread pool', () => {
  it('starts a second thread only once the first has `growAt` requests in flight', async () => {
    pool = threadPool<null, number>(echoThread(), 2, null, { growAt: 3 });
    const first = await Promise.all([pool.run(null), pool.run(null), pool.run(null)]);
    expect(new Set(first).size).toBe(1);
    const [a, b, c, d] = await Promise.all([pool.run(null), pool.run(null), pool.run(null), pool.run(null)]);
    expect([a, b, c]).toEqual(first);
    expect(d).not.toBe(first[0]);
  });

  it('without `growAt`, spreads requests in flight across its threads', async () => {
    pool = threadPool<null, number>(echoThread(), 2, null);
    const ids = await Promise.all([pool.run(null), pool.run(null)]);
    expect(new Set(ids).size).toBe(2);
  });
});
