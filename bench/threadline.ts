import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type DnsServer, startDnsServer, type Zone } from '../support/dns-server.js';
import { freePort } from '../support/ports.js';
import { verifySenderDomain } from '../support/verify-domain.js';
import { type Child, spawnChild, trackDir } from './children.js';

// threadline under test runs as its own process, started the way an operator starts it
// (`bin/threadline.js`), so the load generator never shares its event loop.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'threadline.js');

export interface ThreadlineUnderTest {
  child: Child;
  url: string;
  /** Its SMTP port on 127.0.0.1, where replies go. */
  smtpPort: number;
  senderDomain: string;
  token: string;
  /** The DNS server every instance looks up in (THREADLINE_DNS_SERVERS). */
  dns: DnsServer;
  /** THREADLINE_SECRET, so the bench can compute the signed addresses threadline uses (its return paths). */
  secret: string;
}

export interface ThreadlineOptions {
  outboundUrl: string;
  /** Omitted: a SQLite file in the fresh data folder. */
  databaseUrl?: string;
  /** When set, `node --cpu-prof` writes the server's profile into this folder on exit. */
  profileDir?: string;
  /** Records the benchmark's DNS server answers besides the sender domain's (e.g. the customers' SPF and DMARC). */
  zone?: Zone;
  /** More environment for every instance (e.g. a setting under comparison). */
  env?: NodeJS.ProcessEnv;
}

export async function startThreadline(opts: ThreadlineOptions): Promise<ThreadlineUnderTest> {
  return (await startThreadlines(opts, 1))[0]!;
}

/**
 * `count` threadline processes on one database with one THREADLINE_SECRET (so a token from one
 * is good on all), each with its own ports and data folder, as on separate machines. `init` runs
 * once; every instance then runs `serve`. More than one needs a shared (PostgreSQL) database.
 */
export async function startThreadlines(opts: ThreadlineOptions, count: number): Promise<ThreadlineUnderTest[]> {
  if (count > 1 && !opts.databaseUrl) throw new Error('several instances need a shared database (PostgreSQL), not one SQLite file each');
  const dataDir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-')));
  // Every lookup (MX, SPF, DKIM, DMARC) goes to a DNS server on loopback, as in the tests.
  const dns = await startDnsServer({ ...opts.zone });
  const secret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = {
    THREADLINE_DNS_SERVERS: dns.address,
    ...process.env,
    THREADLINE_DATA_DIR: dataDir,
    THREADLINE_HTTP_PORT: String(await freePort()),
    THREADLINE_SMTP_PORT: String(await freePort()),
    THREADLINE_OUTBOUND_URL: opts.outboundUrl,
    THREADLINE_LOG_LEVEL: 'warn',
    // The benchmark measures throughput, not the per-organization limit.
    THREADLINE_RATE_LIMIT_PER_MINUTE: '100000000',
    // Every smtp-source session comes from 127.0.0.1: --sessions past the per-address cap.
    THREADLINE_SMTP_MAX_PER_CLIENT: '100000',
    THREADLINE_SECRET: secret,
    ...(opts.databaseUrl ? { THREADLINE_DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  };
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'init', '--json', '--org', 'Benchmark'], { env, cwd: ROOT });
  const init = JSON.parse(stdout.trim().split('\n').pop()!) as { clientId: string; clientSecret: string; senderDomain: string };

  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const instances: Array<{ child: Child; url: string; smtpPort: number }> = [];
  for (let i = 0; i < count; i++) {
    const own: NodeJS.ProcessEnv =
      i === 0
        ? env
        : {
            ...env,
            THREADLINE_DATA_DIR: trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-bench-'))),
            THREADLINE_HTTP_PORT: String(await freePort()),
            THREADLINE_SMTP_PORT: String(await freePort()),
          };
    const child = spawnChild(process.execPath, [...nodeArgs, BIN, 'serve'], { env: own, cwd: ROOT });
    instances.push({ child, url: `http://127.0.0.1:${own.THREADLINE_HTTP_PORT}`, smtpPort: Number(own.THREADLINE_SMTP_PORT) });
  }
  await Promise.all(instances.map((i) => waitReady(i.url, i.child)));
  const token = await getToken(instances[0]!.url, init.clientId, init.clientSecret);
  // As an operator does: publish the records threadline lists, then have it check them. The
  // domain's DKIM key (made by init) signs every message.
  await verifySenderDomain({ url: instances[0]!.url, token, domain: init.senderDomain, zone: dns.zone });
  return instances.map((i) => ({ ...i, senderDomain: init.senderDomain, token, dns, secret }));
}

async function waitReady(url: string, child: Child, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`threadline exited before it was ready:\n${child.output().slice(-4000)}`);
    }
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`threadline was not ready after ${ms} ms (last /readyz: ${status}):\n${child.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function getToken(url: string, clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`POST /oauth/token answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
