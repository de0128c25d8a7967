import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, killChildren, type Served, serve } from '../helpers/child-service.js';
import { call, duplicateCount, type FaultTarget, missingSends, prepareTarget, sendBody, startCustomerDns, startLoad, timeToRecover } from '../helpers/fault-load.js';
import { tempDir, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';
import { startSink } from '../helpers/smtp-sink.js';

// threadline on SQLite whose disk fills up under load, then has room again. The data folder is
// a small tmpfs of the child's own (a mount namespace made by `unshare`, which needs no root),
// filled from here with a ballast file through /proc/PID/root. While the disk is full, sends
// must be answered 503 with Retry-After, inbound mail 451, /readyz 503 "disk full", the log
// must say so once when it starts and once when it ends; nothing acknowledged is lost, the
// database stays intact, and nothing the relay received is sent again.

const CONNECTIONS = 4;
const TMPFS = '32m';

let svc: Served;
let sink: Awaited<ReturnType<typeof startSink>>;
let target: FaultTarget;
let dataDir: string;
/** The data folder as the child sees it: its tmpfs. */
let seen: string;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  sink = await startSink();
  const dns = await startCustomerDns();
  dataDir = tempDir();
  // A user and mount namespace: the child is root there, mounts its tmpfs over the data folder
  // and exec's threadline (same pid), so the tmpfs lives and dies with it.
  const wrapper = ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', `mount -t tmpfs -o size=${TMPFS} tmpfs "$THREADLINE_DATA_DIR" && exec "$@"`, 'sh'];
  svc = await serve(
    {
      THREADLINE_DATA_DIR: dataDir,
      THREADLINE_SECRET: 'sqlite-disk-full-secret-'.padEnd(64, '0'),
      THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`,
      THREADLINE_OUTBOUND_CONNECTIONS: String(CONNECTIONS),
      THREADLINE_LOG_LEVEL: 'info',
      THREADLINE_DNS_SERVERS: dns.address,
    },
    60_000,
    undefined,
    wrapper,
  );
  seen = `/proc/${svc.child.pid}/root${dataDir}`;
  expect(fs.existsSync(`${seen}/threadline.db`), 'the database is on the tmpfs').toBe(true);
  expect(fs.existsSync(`${dataDir}/threadline.db`), 'and not on the disk below it').toBe(false);
  target = await prepareTarget(svc, dns);
}, 120_000);

afterAll(() => killChildren(), 60_000);

/** Writes a ballast file until the tmpfs has no byte left. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk of [Buffer.alloc(1 << 20), Buffer.alloc(4096), Buffer.alloc(512)]) {
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const logLines = (re: RegExp) =>
  svc
    .output()
    .split('\n')
    .filter((l) => re.test(l));

describe('SQLite with a full disk', { timeout: 300_000 }, () => {
  it('answers 503/451 while the disk is full, says so once, loses nothing and sends nothing twice', async () => {
    const load = startLoad(target, { senders: 4, repliers: 2 });
    const ballast = `${seen}/ballast`;
    let recoverMs = 0;
    let readyMs = 0;
    let relayedWhileFull = 0;
    let fullForMs = 0;
    try {
      await waitFor(() => (load.sends.size >= 150 && load.replies.size >= 15 ? true : undefined), 60_000, 'load under way');
      fillDisk(ballast);
      const refused = () => load.refusals.get('HTTP 503 service.unavailable retry-after=30') ?? 0;
      await waitFor(() => (refused() > 0 ? true : undefined), 60_000, 'a send refused for the full disk').catch((err: Error) => {
        throw new Error(`${err.message}; refusals ${JSON.stringify(Object.fromEntries(load.refusals))}\n${svc.output().slice(-3000)}`);
      });
      const fullAt = Date.now();
      const sunkAtFull = sink.messages.length;

      const res = await call(target, 'POST', '/api/v2/conversations/emails/agentless', sendBody(target.sender, -3));
      expect(res.status).toBe(503);
      expect(res.retryAfter).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: 503, code: 'service.unavailable' });
      expect(res.body.message).toMatch(/disk full/);
      expect(res.body.message).not.toMatch(/SQLITE|rollback/i);
      const ready = await fetch(`${svc.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ reason: 'disk full' });
      const raw = `From: customer@example.com\r\nTo: ${target.replyTo}\r\nSubject: Re\r\nMessage-ID: <during-full@example.com>\r\n\r\nHello\r\n`;
      expect(await deliver(svc.smtpPort, { from: 'customer@example.com', to: [target.replyTo], raw })).toMatch(/^451 4\.3\.1/);
      // The condition lasts while the load keeps knocking.
      await waitFor(() => (refused() >= 300 && (load.refusals.get('SMTP 451 4.3.1') ?? 0) >= 5 ? true : undefined), 60_000, 'refusals while full');
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(503);

      fs.rmSync(ballast);
      const freedAt = Date.now();
      fullForMs = freedAt - fullAt;
      relayedWhileFull = sink.messages.length - sunkAtFull;
      recoverMs = await timeToRecover(target);
      await waitFor(async () => ((await fetch(`${svc.url}/readyz`)).status === 200 ? true : undefined), 30_000, '/readyz ready again');
      readyMs = Date.now() - freedAt;
      const before = load.sends.size;
      await waitFor(() => (load.sends.size > before + 50 ? true : undefined), 60_000, 'sends flowing again');
    } finally {
      await load.stop();
    }

    await waitFor(() => (missingSends(load, sink.messages).length === 0 ? true : undefined), 120_000, 'every acknowledged send delivered');
    const duplicates = duplicateCount(sink.messages);
    // SQLite resolves /proc/PID/root to "/" and would open a file that is not there: read a
    // copy (of a quiet database: everything is delivered and nothing is being written).
    const copy = tempDir();
    for (const f of ['threadline.db', 'threadline.db-wal']) fs.copyFileSync(`${seen}/${f}`, `${copy}/${f}`);
    const db = new SQLite(`${copy}/threadline.db`);
    let integrity: unknown;
    let lostReplies: number[];
    let sending: number;
    try {
      integrity = db.pragma('integrity_check', { simple: true });
      const stored = new Set(
        (db.prepare("select message_id_header as h from messages where direction = 'inbound' union select message_id_header from quarantine").all() as { h: string }[]).map(
          (r) => `<${r.h}>`,
        ),
      );
      lostReplies = [...load.replies].filter((n) => !stored.has(`<fault-reply-${n}@example.com>`));
      sending = (db.prepare("select count(*) as n from messages where status = 'sending'").get() as { n: number }).n;
    } finally {
      db.close();
    }

    console.log(
      `sqlite disk full: ${load.sends.size} sends and ${load.replies.size} replies acknowledged; full for ${fullForMs} ms; relayed while full ${relayedWhileFull}; first send accepted ${recoverMs} ms and /readyz 200 ${readyMs} ms after space returned; duplicates ${duplicates}; refusals ${JSON.stringify(Object.fromEntries(load.refusals))}`,
    );
    expect(integrity).toBe('ok');
    expect(lostReplies).toEqual([]);
    expect(duplicates).toBe(0);
    expect(sending).toBe(0);
    expect(recoverMs).toBeLessThan(2_000);
    for (const what of load.refusals.keys()) expect(what).toMatch(/^(HTTP 503 service\.unavailable retry-after=\d+|SMTP 451 4\.3\.1)$/);
    expect(logLines(/disk full: writes fail/)).toHaveLength(1);
    expect(logLines(/disk full ended/)).toHaveLength(1);
    expect(logLines(/cannot rollback/)).toEqual([]);
    expect(svc.child.exitCode).toBeNull();
  });
});
