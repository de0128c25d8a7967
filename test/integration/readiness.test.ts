import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inlinePreparer, type Preparer } from '../../src/inbound/preparer.js';
import { threadPool } from '../../src/threads/pool.js';
import { startService, tempDir, waitFor } from '../helpers/service.js';

// /readyz answers ready only once the instance can work at full speed: the inbound threads load
// their libraries after the listeners start, and a load balancer must not send mail meanwhile.

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: await res.json() };
};

describe('readiness', () => {
  it('answers 503 "inbound threads warming up" until the inbound threads are warm, then 200', async () => {
    let warm!: () => void;
    const warming = new Promise<void>((r) => (warm = r));
    const inline = inlinePreparer('replies.localhost', async () => []);
    const preparer: Preparer = { examine: (a) => inline.examine(a), ready: () => warming, close: () => inline.close() };
    const svc = await startService({}, { preparer });

    expect(await readyz(svc.url)).toEqual({ status: 503, body: { status: 'not ready', reason: 'inbound threads warming up' } });
    // Alive all along, and serving: only readiness waits.
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    warm();
    await waitFor(async () => ((await readyz(svc.url)).status === 200 ? true : undefined), 5_000, '/readyz 200 once warm');
    expect(await readyz(svc.url)).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('stops waiting for a thread that ends before it is warm (the next request starts a fresh one)', async () => {
    const file = path.join(tempDir(), 'ends-at-once.mjs');
    fs.writeFileSync(file, 'process.exit(3);\n');
    const pool = threadPool<unknown, unknown>(file, 1, null, { warm: true });
    await expect(pool.ready()).resolves.toBeUndefined();
    await pool.close();
  });
});
