import { publishListed, type Zone } from './dns-server.js';

// Makes a sender domain VERIFIED the way an operator does: publish the records threadline lists
// for it (here, in a loopback DNS server's zone), then ask threadline to check them
// (PUT …/activation). Used by the tests and by bench:send.

export async function verifySenderDomain(o: { url: string; token: string; domain: string; zone: Zone }): Promise<void> {
  const base = `${o.url}/api/v2/routing/email/outbound/domains/${o.domain}`;
  const headers = { authorization: `Bearer ${o.token}` };
  const got = await fetch(base, { headers, signal: AbortSignal.timeout(30_000) });
  if (got.status !== 200) throw new Error(`GET ${base} answered ${got.status}: ${await got.text()}`);
  const domain = (await got.json()) as { dnsRecords: Array<{ host: string; type: string; value: string }> };
  for (const r of domain.dnsRecords) {
    const have = o.zone[r.host.toLowerCase()] ?? [];
    const value = r.type === 'MX' ? r.value.split(' ')[1]! : r.value;
    if (!have.some((x) => x.type === r.type && JSON.stringify(x.data).includes(value))) publishListed(o.zone, r);
  }
  const res = await fetch(`${base}/activation`, { method: 'PUT', headers, signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { senderStatus?: string };
  if (res.status !== 200 || body.senderStatus !== 'VERIFIED') throw new Error(`sender domain ${o.domain} did not verify: ${res.status} ${JSON.stringify(body)}`);
}
