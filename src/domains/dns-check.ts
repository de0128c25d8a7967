import { getDomain } from 'tldts';
import type { DnsResolver } from '../dns/resolver.js';
import { badRequest } from '../errors.js';

// The DNS records a sender domain needs, and the check that they are published. Statuses are
// Genesys's VerificationResult values; DMARC has its own (NotPresent | Invalid | Valid).

export type RecordStatus = 'PENDING' | 'VERIFIED' | 'FAILED' | 'UNKNOWN';
export type DmarcStatus = 'NotPresent' | 'Invalid' | 'Valid';
export type Purpose = 'spf' | 'dkim' | 'dmarc' | 'return-path' | 'inbound-mx';

export interface DnsRecord {
  purpose: Purpose;
  host: string;
  type: 'TXT' | 'MX';
  value: string;
  /** For DKIM: which key the record publishes. */
  selector?: string;
}

export interface CheckedRecord extends DnsRecord {
  status: RecordStatus;
  /** What was found at the host, for the person fixing it. */
  found: string[];
  detail: string;
}

export interface DmarcCheck {
  status: DmarcStatus;
  detectedPolicy: string | null;
  /** The name the record was found at: the domain's own `_dmarc`, or the organizational domain's. */
  foundAt: string | null;
  record: string | null;
  detail: string;
}

export interface DomainCheck {
  checkedAt: number;
  records: CheckedRecord[];
  dmarc: DmarcCheck;
  status: RecordStatus;
}

/** The organizational domain (public suffix + one label), or the name itself when unknown. */
export const organizationalDomain = (name: string) => getDomain(name, { allowPrivateDomains: true }) ?? name;

export interface ExpectedRecords {
  domain: string;
  inboundDomain: string | null;
  /** SPF mechanism that authorizes threadline's outbound mail, e.g. `a:mx.example.com`, `ip4:192.0.2.10`, `include:_spf.relay.example`. */
  spfMechanism: string;
  /** The host threadline receives mail on: MX target of the inbound domain and of the return path. */
  mxHost: string;
  /** DKIM keys to publish: the active one and any pending or retiring one. */
  dkim: Array<{ selector: string; value: string }>;
}

export function expectedRecords(e: ExpectedRecords): DnsRecord[] {
  const records: DnsRecord[] = [
    { purpose: 'spf', host: e.domain, type: 'TXT', value: `v=spf1 ${e.spfMechanism} -all` },
    ...e.dkim.map((k) => ({ purpose: 'dkim' as const, host: `${k.selector}._domainkey.${e.domain}`, type: 'TXT' as const, value: k.value, selector: k.selector })),
    {
      purpose: 'dmarc',
      host: `_dmarc.${e.domain}`,
      type: 'TXT',
      value: `v=DMARC1; p=none; rua=mailto:dmarc-reports@${organizationalDomain(e.domain)}; adkim=r; aspf=r`,
    },
    // Bounces are addressed to the envelope sender, an address on the sender domain.
    { purpose: 'return-path', host: e.domain, type: 'MX', value: `10 ${e.mxHost}` },
  ];
  if (e.inboundDomain) records.push({ purpose: 'inbound-mx', host: e.inboundDomain, type: 'MX', value: `10 ${e.mxHost}` });
  return records;
}

type Answer = { ok: true; values: string[] } | { ok: false; error: string };

async function ask(resolver: DnsResolver, host: string, type: 'TXT' | 'MX'): Promise<Answer> {
  try {
    if (type === 'TXT') return { ok: true, values: await resolver.txt(host, { fresh: true }) };
    const mx = (await resolver.fresh(host, 'MX')) as Array<{ exchange: string; priority: number }>;
    return { ok: true, values: mx.map((m) => `${m.priority} ${m.exchange.toLowerCase().replace(/\.$/, '')}`) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { ok: true, values: [] };
    return { ok: false, error: `${type} lookup of ${host} failed (${code || String(err)})` };
  }
}

const spfTerms = (record: string) => record.trim().toLowerCase().split(/\s+/).slice(1);
const dkimKeyOf = (record: string) => /(?:^|;)\s*p=([^;]*)/i.exec(record)?.[1]?.replace(/\s+/g, '') ?? null;

function checkOne(r: DnsRecord, a: Answer): CheckedRecord {
  if (!a.ok) return { ...r, status: 'UNKNOWN', found: [], detail: a.error };
  const found = a.values;
  switch (r.purpose) {
    case 'spf': {
      const spf = found.filter((v) => /^v=spf1(\s|$)/i.test(v.trim()));
      if (spf.length === 0) return { ...r, status: 'PENDING', found, detail: `no SPF record (v=spf1) at ${r.host} yet` };
      if (spf.length > 1) return { ...r, status: 'FAILED', found, detail: `${spf.length} SPF records at ${r.host}: receivers treat that as an error (RFC 7208 §4.5); merge them into one` };
      const wanted = spfTerms(r.value)[0]!;
      if (spfTerms(spf[0]!).some((t) => t.replace(/^\+/, '') === wanted)) return { ...r, status: 'VERIFIED', found, detail: `the SPF record authorizes ${wanted}` };
      return { ...r, status: 'FAILED', found, detail: `the SPF record at ${r.host} does not contain ${wanted}; add it before the "all" term` };
    }
    case 'dkim': {
      const want = dkimKeyOf(r.value);
      const dkim = found.filter((v) => /(^|;)\s*p=/i.test(v));
      if (dkim.length === 0) return { ...r, status: 'PENDING', found, detail: `no DKIM key at ${r.host} yet` };
      if (dkim.some((v) => dkimKeyOf(v) === want)) return { ...r, status: 'VERIFIED', found, detail: 'the published key is the signing key' };
      return { ...r, status: 'FAILED', found, detail: `the key published at ${r.host} is not this domain's key for selector ${r.selector}` };
    }
    case 'return-path':
    case 'inbound-mx': {
      const want = r.value.split(' ')[1]!.toLowerCase();
      if (found.length === 0) return { ...r, status: 'PENDING', found, detail: `no MX record at ${r.host} yet` };
      if (found.some((v) => v.split(' ')[1] === want)) return { ...r, status: 'VERIFIED', found, detail: `${r.host} receives mail at ${want}` };
      return { ...r, status: 'FAILED', found, detail: `the MX of ${r.host} does not name ${want}` };
    }
    case 'dmarc':
      return { ...r, status: 'UNKNOWN', found, detail: '' }; // judged by checkDmarc
  }
}

const DMARC_POLICIES = new Set(['none', 'quarantine', 'reject']);

/** RFC 7489 §6.6.3: the domain's own `_dmarc`, else the organizational domain's. */
export async function checkDmarc(resolver: DnsResolver, domain: string): Promise<DmarcCheck> {
  const org = organizationalDomain(domain);
  for (const at of org !== domain ? [domain, org] : [domain]) {
    const a = await ask(resolver, `_dmarc.${at}`, 'TXT');
    if (!a.ok) return { status: 'NotPresent', detectedPolicy: null, foundAt: null, record: null, detail: a.error };
    const dmarc = a.values.filter((v) => /^v\s*=\s*DMARC1/i.test(v.trim()));
    if (dmarc.length === 0) continue;
    const host = `_dmarc.${at}`;
    if (dmarc.length > 1) return { status: 'Invalid', detectedPolicy: null, foundAt: host, record: dmarc.join(' | '), detail: `${dmarc.length} DMARC records at ${host}` };
    const tags = Object.fromEntries(
      dmarc[0]!
        .split(';')
        .map((t) => t.trim())
        .filter(Boolean)
        .map((t) => [
          t.slice(0, t.indexOf('=')).trim().toLowerCase(),
          t
            .slice(t.indexOf('=') + 1)
            .trim()
            .toLowerCase(),
        ]),
    );
    // The organizational domain's record speaks for its subdomains through sp=, if it has one.
    const policy = at === domain ? tags.p : (tags.sp ?? tags.p);
    if (!policy || !DMARC_POLICIES.has(policy))
      return { status: 'Invalid', detectedPolicy: null, foundAt: host, record: dmarc[0]!, detail: `the DMARC record at ${host} has no valid p= (none, quarantine or reject)` };
    return {
      status: 'Valid',
      detectedPolicy: policy,
      foundAt: host,
      record: dmarc[0]!,
      detail: at === domain ? `found at ${host}` : `none at _dmarc.${domain}; the organizational domain's record at ${host} applies`,
    };
  }
  return { status: 'NotPresent', detectedPolicy: null, foundAt: null, record: null, detail: `no DMARC record at _dmarc.${domain}${org !== domain ? ` or _dmarc.${org}` : ''}` };
}

/** One status for several records: FAILED if one failed, UNKNOWN if DNS did not answer for one, VERIFIED if all verified, else PENDING. */
export function combinedStatus(records: Array<{ status: RecordStatus }>): RecordStatus {
  if (records.length === 0) return 'PENDING';
  if (records.some((c) => c.status === 'FAILED')) return 'FAILED';
  if (records.some((c) => c.status === 'UNKNOWN')) return 'UNKNOWN';
  return records.every((c) => c.status === 'VERIFIED') ? 'VERIFIED' : 'PENDING';
}

/** The domain's status: the combined status of its SPF record and its signing DKIM key's record. */
export function domainStatus(records: CheckedRecord[], signingSelector: string | null): RecordStatus {
  if (signingSelector === null) return 'PENDING';
  return combinedStatus(records.filter((c) => c.purpose === 'spf' || (c.purpose === 'dkim' && c.selector === signingSelector)));
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A domain name in lower case without a final dot, or a 400 naming `field`. */
export function normalizeDomain(field: string, value: string): string {
  const d = value.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(d)) throw badRequest(field, `"${value}" is not a domain name such as notify.example.com`);
  return d;
}

/** Looks every record up (uncached) and judges the domain. `signingSelector`: the key that must verify. */
export async function checkDomain(resolver: DnsResolver, records: DnsRecord[], signingSelector: string | null, now: number): Promise<DomainCheck> {
  const answers = await Promise.all(records.map((r) => (r.purpose === 'dmarc' ? Promise.resolve<Answer>({ ok: true, values: [] }) : ask(resolver, r.host, r.type))));
  const checked = records.map((r, i) => checkOne(r, answers[i]!));
  const dmarc = await checkDmarc(resolver, records[0]!.host);
  for (const c of checked) {
    if (c.purpose !== 'dmarc') continue;
    c.status = dmarc.status === 'Valid' ? 'VERIFIED' : dmarc.status === 'Invalid' ? 'FAILED' : 'PENDING';
    c.found = dmarc.record ? [dmarc.record] : [];
    c.detail = dmarc.detail;
  }
  return { checkedAt: now, records: checked, dmarc, status: domainStatus(checked, signingSelector) };
}
