import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type Running, type StartOptions, start } from '../../src/main.js';
import type { InitResult } from '../../src/setup/init.js';
import type { DnsServer } from '../../support/dns-server.js';
import { verifySenderDomain as verifySender_ } from '../../support/verify-domain.js';
import { atEnd } from './cleanup.js';
import { publishListed, startDnsServer } from './dns-server.js';
import { testDatabaseUrl } from './postgres.js';

export function tempDir(prefix = 'threadline-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  atEnd(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestService {
  running: Running;
  url: string;
  init: InitResult;
  dataDir: string;
  /** A bearer token for the admin client of the default organization. */
  token(clientId?: string, secret?: string): Promise<string>;
  /** A new admin token, and the one later calls use (after moving a manual clock past a day). */
  newToken(): Promise<string>;
  api(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** The DNS server the service looks everything up in (THREADLINE_DNS_SERVERS); its zone can be changed. */
  dns: DnsServer;
  /** Publishes a sender domain's records (as its API lists them) in `dns` and checks them: the domain is VERIFIED after. */
  verifySenderDomain(domain?: string): Promise<void>;
  /** Publishes an inbound domain's TXT token (as its API lists it) in `dns` and checks it: the domain is VERIFIED after. */
  verifyInboundDomain(domain: string, bearer?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface TestStartOptions extends StartOptions {
  /** The DNS server to use; default: a fresh one with an empty zone. */
  dns?: DnsServer;
  /** Verify the default sender domain at start; default: when mail leaves the machine (relay, direct), which refuses unverified domains. */
  verifySender?: boolean;
}

/**
 * Starts the real service: HTTP on a free port, a temp data folder, and a SQLite file in it or,
 * in the integration-pg project, a fresh PostgreSQL database. `env` overrides both.
 */
export async function startService(env: Record<string, string> = {}, options: TestStartOptions = {}): Promise<TestService> {
  const { dns: givenDns, verifySender, ...opts } = options;
  const dataDir = tempDir();
  const databaseUrl = await testDatabaseUrl();
  // Every lookup (MX, SPF, DKIM, DMARC) goes to a DNS server on loopback: never the machine's resolver.
  const dns = givenDns ?? (await startDnsServer());
  const config = loadConfig({
    THREADLINE_DATA_DIR: dataDir,
    ...(databaseUrl ? { THREADLINE_DATABASE_URL: databaseUrl } : {}),
    THREADLINE_HTTP_PORT: '0',
    THREADLINE_SMTP_PORT: '0',
    THREADLINE_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
    THREADLINE_DNS_SERVERS: dns.address,
    // Tests of other things than inbound authentication take every reply in (and still record
    // what the rule says); inbound-auth.test.ts runs the default, require.
    THREADLINE_INBOUND_AUTH: 'monitor',
    ...env,
  });
  const running = await start(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { pollMs: 50, ...opts });
  atEnd(() => running.stop());
  const init = running.init!;
  const url = running.httpUrl;
  const tokens = new Map<string, string>();
  const token = async (clientId = init.clientId, secret = init.clientSecret) => {
    const cached = tokens.get(clientId);
    if (cached) return cached;
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
    const t = ((await res.json()) as { access_token: string }).access_token;
    tokens.set(clientId, t);
    return t;
  };
  const api: TestService['api'] = async (method, p, o = {}) => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${o.token ?? (await token())}`,
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
  const newToken = async () => {
    tokens.delete(init.clientId);
    return token();
  };
  const verifySenderDomain = async (domain = init.senderDomain) => verifySender_({ url, token: await token(), domain, zone: dns.zone });
  const verifyInboundDomain = async (domain: string, bearer?: string) => {
    const got = await api('GET', `/api/v2/routing/email/domains/${domain}`, { token: bearer });
    if (got.body.verificationRecord) publishListed(dns.zone, got.body.verificationRecord);
    const res = await api('PUT', `/api/v2/routing/email/domains/${domain}/verification`, { token: bearer });
    if (res.status !== 200 || res.body.verificationStatus !== 'VERIFIED') throw new Error(`inbound domain ${domain} did not verify: ${res.status} ${JSON.stringify(res.body)}`);
  };
  if (verifySender ?? config.outbound.kind !== 'capture') await verifySenderDomain();
  return { running, url, init, dataDir, token, newToken, api, dns, verifySenderDomain, verifyInboundDomain, stop: () => running.stop() };
}

/** A valid AgentlessEmailSendRequestDto from the service's default sender domain. */
export function sendBody(svc: { init: InitResult }, overrides: Record<string, unknown> = {}) {
  return {
    senderType: 'Outbound',
    fromAddress: { email: `notifications@${svc.init.senderDomain}`, name: 'Example Shop' },
    toAddresses: [{ email: 'customer@example.com', name: 'Pat Customer' }],
    subject: 'Your order has shipped',
    textBody: 'Your parcel is on its way.',
    ...overrides,
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `fn` `count` times with at most `concurrency` calls in flight; results in order. */
export async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/**
 * The organization's events of `types` for which `pick` holds, once there are `count` of them:
 * on PostgreSQL an event shows only once every older transaction of the cluster has ended
 * (src/events/events.repo.ts), so a test reading right after a change waits for it.
 */
export const eventsOf = (svc: Pick<TestService, 'api'>, types: string, pick: (e: { type: string; data: Record<string, unknown> }) => boolean, count: number) =>
  waitFor(
    async () => {
      const found = (await svc.api('GET', `/api/v2/events?types=${types}&limit=1000`)).body.entities.filter(pick);
      return found.length >= count ? found : undefined;
    },
    10_000,
    `${count} ${types} events`,
  );
