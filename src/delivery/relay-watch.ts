import { promises as dns } from 'node:dns';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Logger } from '../log.js';
import { domainOf } from '../mail/address.js';
import { resolveMailHosts } from './mx.js';
import { relayEndpoint, type TransportOptions } from './transport.js';

/** How often a target that could not be reached is probed while messages wait for it. */
export const PROBE_INTERVAL_MS = 5_000;
const PROBE_TIMEOUT_MS = 10_000;

/**
 * What a message waits for when its delivery could not reach the next hop: the relay (one
 * for every message) or, in direct delivery, the recipient's domain (its MX hosts). Null in
 * capture mode, which reaches nothing.
 */
export function targetOf(opts: Pick<TransportOptions, 'target'>, recipient: string): string | null {
  if (opts.target.kind === 'relay') {
    const { host, port } = relayEndpoint(opts.target.url);
    return `relay ${host}:${port}`;
  }
  return opts.target.kind === 'direct' ? `mx ${domainOf(recipient)}` : null;
}

/** One SMTP connection to the target: resolves once a server greets and answers EHLO, then says QUIT. */
export function probeTarget(opts: TransportOptions, target: string): Promise<void> {
  if (target.startsWith('relay ')) return greets({ ...relayEndpoint((opts.target as { url: string }).url), name: opts.heloName });
  const resolver = new dns.Resolver({ timeout: 5_000, tries: 1 });
  if (opts.dnsServers.length > 0) resolver.setServers(opts.dnsServers);
  return resolveMailHosts(resolver, target.slice('mx '.length)).then(async (hosts) => {
    let last: unknown = new Error('no mail host');
    for (const h of hosts) {
      try {
        return await greets({ host: h.ip, port: opts.directPort, name: opts.heloName, tls: { rejectUnauthorized: false, servername: h.name } });
      } catch (err) {
        last = err;
      }
    }
    throw last;
  });
}

function greets(o: ConstructorParameters<typeof SMTPConnection>[0]): Promise<void> {
  return new Promise((resolve, reject) => {
    const smtp = new SMTPConnection({ ...o, connectionTimeout: PROBE_TIMEOUT_MS, greetingTimeout: PROBE_TIMEOUT_MS, socketTimeout: PROBE_TIMEOUT_MS });
    let done = false;
    const finish = (err: unknown) => {
      if (done) return;
      done = true;
      if (err) {
        smtp.close();
        reject(err);
      } else {
        smtp.quit();
        resolve();
      }
    };
    smtp.on('error', finish);
    smtp.once('end', () => finish(new Error('the server closed the connection')));
    smtp.connect((err) => finish(err ?? null));
  });
}

export interface RelayWatchOptions {
  probe(target: string): Promise<void>;
  /** The target answered: make the messages waiting for it due. */
  onBack(target: string): Promise<void>;
  log: Logger;
  intervalMs?: number;
}

/**
 * Probes each target that deliveries could not reach, one connection at a time per target,
 * until it answers; then its waiting messages are made due. Without it they sat out their
 * whole retry delay after the relay was back.
 */
export class RelayWatch {
  private readonly targets = new Set<string>();
  private readonly probing = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: RelayWatchOptions) {}

  watch(target: string): void {
    if (this.stopped || this.targets.has(target)) return;
    this.targets.add(target);
    this.o.log.warn({ target }, 'delivery target unreachable; probing it until it answers');
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.o.intervalMs ?? PROBE_INTERVAL_MS);
      this.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    for (const target of this.targets) {
      if (this.probing.has(target)) continue;
      this.probing.add(target);
      this.o
        .probe(target)
        .then(
          async () => {
            this.targets.delete(target);
            if (!this.stopped) await this.o.onBack(target);
          },
          () => {}, // still down: the next tick tries again
        )
        .catch((err: unknown) => {
          // The messages stay waiting; watching again retries making them due.
          this.o.log.error({ err, target }, 'making messages due for a target that answers again failed');
          this.targets.add(target);
        })
        .finally(() => {
          this.probing.delete(target);
          if (this.targets.size === 0 && this.timer) {
            clearInterval(this.timer);
            this.timer = null;
          }
        });
    }
  }
}
