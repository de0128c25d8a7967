import crypto from 'node:crypto';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { findProgram, spawnChild } from './children.js';
import { sendBody, startPart } from './floors-parts.js';
import { textOfSize } from './lib.js';
import { runLoad } from './load.js';

// What bench:send sets threadline against in the same run: a bare hono route that inserts one
// SQLite row (its accepted/s), nodemailer's own pooled SMTP transport with its built-in DKIM,
// the peer a user would pick instead (delivered/s), and Postfix's smtp-source, the wire's limit.
// Each starts cold, as threadline does: no warm-up run before the one measured.

export interface PeerRate {
  perS: number;
  /** CPU per message of the peer's process, µs (NaN when not measured). */
  cpuUs: number;
}

const SEND_PATH = '/api/v2/conversations/emails/agentless';

/**
 * The bare route (floors-server.ts `route`), loaded as bench:send loads threadline. `FULL`:
 * each row synced to disk before its 202, the promise threadline keeps (it groups commits, the
 * bare route cannot); `NORMAL`: left to SQLite's checkpoints, the route's CPU alone.
 */
export async function bareRoute(dir: string, messages: number, concurrency: number, sync: 'FULL' | 'NORMAL'): Promise<PeerRate> {
  const part = await startPart('route', [path.join(dir, `bare-route-${sync.toLowerCase()}.db`), sync]);
  try {
    const before = await part.cpu();
    const r = await runLoad({
      url: `http://127.0.0.1:${part.port}`,
      path: SEND_PATH,
      headers: { 'content-type': 'application/json' },
      body: sendBody(),
      requests: messages,
      concurrency,
      expectStatus: 202,
    });
    return { perS: messages / ((r.finishedAt - r.startedAt) / 1000), cpuUs: ((await part.cpu()) - before) / messages };
  } finally {
    part.stop();
  }
}

/**
 * nodemailer's pooled SMTP transport, in this process, DKIM-signing with its own signer and an
 * RSA-2048 key: `messages` 2 KB text messages, `concurrency` at once over as many sessions,
 * each session kept for the whole run as threadline keeps its own.
 */
export async function nodemailerPeer(sinkPort: number, messages: number, concurrency: number): Promise<PeerRate> {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: sinkPort,
    secure: false,
    ignoreTLS: true,
    maxConnections: concurrency,
    maxMessages: Number.POSITIVE_INFINITY,
    dkim: { domainName: 'notify.example.com', keySelector: 'bench', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  const text = textOfSize(2048);
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await transport.sendMail({ from: 'bench@notify.example.com', to: 'customer@example.com', subject: 'Benchmark', text });
      }),
    );
  };
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await run(messages);
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    return { perS: messages / seconds, cpuUs: (used.user + used.system) / messages };
  } finally {
    transport.close();
  }
}

/** Postfix's smtp-source into the sink: the same size, sessions and connection reuse; the wire's limit. */
export async function smtpSourcePeer(sinkPort: number, messages: number, concurrency: number, bytes: number): Promise<PeerRate> {
  const args = ['-l', String(bytes), '-s', String(concurrency), '-d', '-m', String(messages), `127.0.0.1:${sinkPort}`];
  const t0 = performance.now();
  const child = spawnChild(findProgram('smtp-source'), args);
  const code = await child.exited;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`smtp-source exited with ${code}: ${child.output().slice(-2000)}`);
  return { perS: messages / seconds, cpuUs: Number.NaN };
}
