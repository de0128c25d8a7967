import { randomBytes } from 'node:crypto';
import type { DnsResolver } from '../dns/resolver.js';
import type { RecordStatus } from './dns-check.js';

// The proof that an organization controls an inbound domain it adds: a TXT record holding a
// token made for that organization's claim, as sender domains prove theirs with SPF and DKIM.
// Without it, the first organization to name a domain would receive its mail.

export const OWNERSHIP_PREFIX = 'threadline-verify=';

export const newOwnershipToken = () => randomBytes(16).toString('hex');

export function ownershipRecord(domain: string, token: string) {
  return { host: `_threadline-verify.${domain}`, type: 'TXT' as const, value: `${OWNERSHIP_PREFIX}${token}` };
}

export interface OwnershipCheck {
  status: RecordStatus;
  detail: string;
}

/** Looks the TXT record up now (uncached) and judges it. */
export async function checkOwnership(resolver: DnsResolver, domain: string, token: string): Promise<OwnershipCheck> {
  const r = ownershipRecord(domain, token);
  let found: string[];
  try {
    found = (await resolver.txt(r.host, { fresh: true })).map((v) => v.trim());
  } catch (err) {
    return { status: 'UNKNOWN', detail: `TXT lookup of ${r.host} failed (${(err as { code?: string }).code ?? 'no answer'}); try again` };
  }
  if (found.includes(r.value)) return { status: 'VERIFIED', detail: `${r.host} holds this organization's token` };
  if (found.some((v) => v.startsWith(OWNERSHIP_PREFIX))) return { status: 'FAILED', detail: `the TXT record at ${r.host} holds another token: publish "${r.value}"` };
  return { status: 'PENDING', detail: `no TXT record "${r.value}" at ${r.host} yet` };
}
