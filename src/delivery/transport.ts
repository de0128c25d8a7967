import { promises as dns } from 'node:dns';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OutboundTarget } from '../config.js';
import { domainOf } from '../mail/address.js';
import { PRIVATE_DIR, PRIVATE_FILE } from '../private-files.js';
import { DeliveryError } from './classify.js';
import { resolveMailHosts } from './mx.js';
import { SmtpPool } from './smtp-pool.js';

export interface Envelope {
  from: string;
  to: string;
}

/** Sends rendered bytes; resolves with the receiving server's reply, throws on refusal. */
export interface Transport {
  send(envelope: Envelope, raw: Buffer, messageId: string): Promise<string>;
  close(): void;
}

export interface TransportOptions {
  target: OutboundTarget;
  dataDir: string;
  dnsServers: string[];
  connections: number;
  heloName: string;
  /** Port for direct delivery: 25 everywhere but in tests. */
  directPort: number;
}

const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };
/** An unused session is closed after this; servers drop idle clients after a minute or more. */
const IDLE_MS = 30_000;

export function createTransport(opts: TransportOptions): Transport {
  switch (opts.target.kind) {
    case 'capture':
      return captureTransport(path.join(opts.dataDir, 'captured'));
    case 'relay':
      return relayTransport(opts.target.url, opts);
    case 'direct':
      return directTransport(opts);
  }
}

/** `capture`: the message is written to DATA_DIR/captured/<id>.eml and never leaves the machine. */
function captureTransport(dir: string): Transport {
  let made = false;
  return {
    async send(_envelope, raw, messageId) {
      if (!made) {
        await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
        made = true;
      }
      const file = path.join(dir, `${messageId}.eml`);
      const tmp = `${file}.tmp`;
      const fh = await fs.open(tmp, 'w', PRIVATE_FILE);
      try {
        await fh.writeFile(raw);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, file);
      return `250 captured as ${path.basename(file)}`;
    },
    close() {},
  };
}

export function capturedFile(dataDir: string, messageId: string): string {
  return path.join(dataDir, 'captured', `${messageId}.eml`);
}

/** Where a relay URL points: host, port and TLS, as SMTPConnection takes them. */
export function relayEndpoint(url: string) {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 587)), secure: u.protocol === 'smtps:' };
}

function relayTransport(url: string, opts: TransportOptions): Transport {
  const u = new URL(url);
  const pool = new SmtpPool({
    maxConnections: opts.connections,
    idleMs: IDLE_MS,
    ...relayEndpoint(url),
    name: opts.heloName,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
    ...TIMEOUTS,
  });
  return {
    send: (envelope, raw) => pool.send({ from: envelope.from, to: [envelope.to] }, raw),
    close: () => pool.close(),
  };
}

/** `direct`: look up the recipient domain's MX through THREADLINE_DNS_SERVERS and deliver there. */
function directTransport(opts: TransportOptions): Transport {
  const resolver = new dns.Resolver({ timeout: 5_000, tries: 2 });
  if (opts.dnsServers.length > 0) resolver.setServers(opts.dnsServers);
  const pools = new Map<string, SmtpPool>();
  const poolFor = (ip: string, hostname: string) => {
    const key = `${ip}|${hostname}`;
    let t = pools.get(key);
    if (!t) {
      t = new SmtpPool({
        maxConnections: 5,
        idleMs: IDLE_MS,
        host: ip,
        port: opts.directPort,
        name: opts.heloName,
        // MTA-to-MTA TLS is opportunistic: use it when offered, without requiring a trusted certificate.
        tls: { rejectUnauthorized: false, servername: hostname },
        ...TIMEOUTS,
      });
      pools.set(key, t);
    }
    return t;
  };
  return {
    async send(envelope, raw) {
      const domain = domainOf(envelope.to);
      const hosts = await resolveMailHosts(resolver, domain);
      let last: unknown = new DeliveryError(false, `451 4.4.4 no reachable mail host for ${domain}`);
      for (const host of hosts) {
        try {
          const response = await poolFor(host.ip, host.name).send({ from: envelope.from, to: [envelope.to] }, raw);
          return `${response} (${host.name})`;
        } catch (err) {
          const code = (err as { responseCode?: number }).responseCode;
          // A 5xx from one MX is the domain's answer; a connection failure means try the next.
          if (typeof code === 'number' && code >= 500) throw err;
          last = err;
        }
      }
      throw last;
    },
    close() {
      for (const t of pools.values()) t.close();
      pools.clear();
    },
  };
}
