import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { threadPreparer } from '../../src/inbound/preparer.js';
import { threadPool } from '../../src/threads/pool.js';

// The heap an inbound thread is given. Parsing and authenticating a reply leaves much short-lived
// garbage, so the inbound threads get a larger young generation than the pool's default for its
// other threads (which answer with little garbage and stay small).

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-thread-heap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A thread module that answers every request with the resource limits it was started with. */
function limitsThread(): string {
  const file = path.join(dir, 'limits-thread.mjs');
  fs.writeFileSync(
    file,
    `import { parentPort, resourceLimits } from 'node:worker_threads';
parentPort.postMessage('ready');
parentPort.on('message', (msg) => {
  if (msg === 'close') return process.exit(0);
  parentPort.postMessage({ id: msg.id, ok: true, value: resourceLimits });
});
`,
  );
  return file;
}

it('gives the inbound threads a young generation of 16 MB', async () => {
  const preparer = threadPreparer({ mta: 'replies.localhost', dnsServers: [] }, { threads: 1, timeLimitMs: 10_000 }, limitsThread())!;
  try {
    const limits = (await preparer.examine({ raw: Buffer.from('Subject: hi\r\n\r\nhello\r\n'), envelopeFrom: 'a@example.com', remoteAddress: '127.0.0.1', helo: null })) as unknown;
    expect(limits).toMatchObject({ maxYoungGenerationSizeMb: 16 });
  } finally {
    await preparer.close();
  }
});

it("keeps the pool's small young generation for threads that ask for nothing else", async () => {
  const pool = threadPool<null, { maxYoungGenerationSizeMb: number }>(limitsThread(), 1, null);
  try {
    expect((await pool.run(null)).maxYoungGenerationSizeMb).toBe(4);
  } finally {
    await pool.close();
  }
});
