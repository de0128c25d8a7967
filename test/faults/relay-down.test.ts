import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, freePort, killChildren, type Served, serve } from '../helpers/child-service.js';
import { duplicateCount, type FaultTarget, missingSends, prepareTarget, startCustomerDns, startLoad } from '../helpers/fault-load.js';
import { tempDir, waitFor } from '../helpers/service.js';
import { startSink } from '../helpers/smtp-sink.js';
import { tcpProxy } from '../helpers/tcp-proxy.js';

// The relay's host fails under load (its port refuses connections, open sessions are cut) and
// comes back. The retry schedule is ten minutes, so only the probe of the relay explains the
// waiting messages leaving within seconds of its return. Nothing acknowledged is lost; a
// message is sent twice only if it was on the wire when the relay went.

const CONNECTIONS = 4;

let svc: Served;
let sink: Awaited<ReturnType<typeof startSink>>;
let relay: Awaited<ReturnType<typeof tcpProxy>>;
let target: FaultTarget;

beforeAll(async () => {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  sink = await startSink();
  const port = await freePort();
  relay = await tcpProxy(port, sink.port);
  const dns = await startCustomerDns();
  svc = await serve(
    {
      THREADLINE_DATA_DIR: tempDir(),
      THREADLINE_SECRET: 'relay-down-secret-'.padEnd(64, '0'),
      THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${port}`,
      THREADLINE_OUTBOUND_CONNECTIONS: String(CONNECTIONS),
      THREADLINE_RETRY_SCHEDULE: '10m,10m,10m',
      THREADLINE_LOG_LEVEL: 'info',
      THREADLINE_DNS_SERVERS: dns.address,
    },
    60_000,
  );
  target = await prepareTarget(svc, dns);
}, 120_000);

afterAll(() => killChildren(), 60_000);

describe('the relay failing under load', { timeout: 300_000 }, () => {
  it('uses the relay for the waiting messages within seconds of its return; loses nothing; duplicates only what was on the wire', async () => {
    const load = startLoad(target, { senders: 4, repliers: 0 });
    let downMs = 0;
    let firstMs = 0;
    let recoverMs = 0;
    let waiting = 0;
    try {
      await waitFor(() => (load.sends.size >= 100 && sink.messages.length >= 100 ? true : undefined), 60_000, 'load under way, deliveries too');
      await relay.down();
      const downAt = Date.now();
      const before = load.sends.size;
      // Sends are still accepted; their deliveries wait for the relay.
      await waitFor(
        () => (load.sends.size >= before + 300 && /"delivery deferred"/.test(svc.output()) ? true : undefined),
        60_000,
        'sends accepted and deliveries deferred while the relay is down',
      );
      await load.stop();
      waiting = missingSends(load, sink.messages).length;
      await relay.up();
      const upAt = Date.now();
      downMs = upAt - downAt;
      const atUp = sink.messages.length;
      await waitFor(() => (sink.messages.length > atUp ? true : undefined), 30_000, 'a delivery after the relay returned');
      firstMs = Date.now() - upAt;
      await waitFor(() => (missingSends(load, sink.messages).length === 0 ? true : undefined), 60_000, 'every acknowledged send delivered').catch((err: Error) => {
        const missing = missingSends(load, sink.messages).map((n) => load.sendIds.get(n)!);
        const lines = svc
          .output()
          .split('\n')
          .filter((l) => missing.some((id) => l.includes(id)));
        throw new Error(`${err.message}: ${missing.length} missing (${missing.join(', ')}); their log lines:\n${lines.join('\n')}\n${svc.output().slice(-1500)}`);
      });
      recoverMs = Date.now() - upAt;
    } finally {
      await load.stop();
    }
    const duplicates = duplicateCount(sink.messages);
    console.log(
      `relay down: ${load.sends.size} sends acknowledged; relay down ${downMs} ms; ${waiting} messages waiting at its return, the first delivered ${firstMs} ms and all ${recoverMs} ms after it (retry delay 600 s); duplicates ${duplicates}`,
    );
    expect(waiting).toBeGreaterThan(0);
    // The retry delay is 600 s: within 30 s, only the probe can have made them due (a probe
    // interval, then the time the relay takes for the backlog).
    expect(recoverMs).toBeLessThan(30_000);
    expect(duplicates).toBeLessThanOrEqual(CONNECTIONS);
    expect(svc.child.exitCode).toBeNull();
  });
});
