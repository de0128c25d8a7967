import type { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { DeliveryError } from './classify.js';

export interface MailHost {
  name: string;
  ip: string;
}

const PERMANENT_DNS = new Set(['ENOTFOUND', 'NXDOMAIN']);
const NO_DATA = new Set(['ENODATA', 'ENOTFOUND']);

function dnsCode(err: unknown): string {
  return (err as { code?: string }).code ?? 'EUNKNOWN';
}

async function addressesOf(resolver: dns.Resolver, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const ips = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  const failures = [v4, v6].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => dnsCode(r.reason));
  if (ips.length === 0 && failures.some((c) => !NO_DATA.has(c))) {
    throw new DeliveryError(false, `451 4.4.3 DNS lookup of ${host} failed (${failures.join(', ')})`);
  }
  return ips;
}

/**
 * RFC 5321 §5.1: MX hosts by preference; no MX at all means the domain itself (implicit MX);
 * a null MX (RFC 7505) or a domain that does not exist is a permanent failure.
 */
export async function resolveMailHosts(resolver: dns.Resolver, domain: string): Promise<MailHost[]> {
  let names: string[];
  try {
    const mx = await resolver.resolveMx(domain);
    if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.')) {
      throw new DeliveryError(true, `556 5.1.10 ${domain} accepts no mail (null MX)`);
    }
    names = mx.sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const code = dnsCode(err);
    if (code === 'ENODATA') names = [domain];
    else if (PERMANENT_DNS.has(code)) throw new DeliveryError(true, `550 5.1.2 the domain ${domain} does not exist (${code})`);
    else throw new DeliveryError(false, `451 4.4.3 MX lookup for ${domain} failed (${code})`);
  }
  const hosts: MailHost[] = [];
  for (const name of names) {
    for (const ip of await addressesOf(resolver, name)) hosts.push({ name, ip });
  }
  if (hosts.length === 0) throw new DeliveryError(false, `451 4.4.4 no address found for the mail hosts of ${domain}`);
  return hosts;
}
