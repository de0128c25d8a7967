import type { DkimKeysTable, SenderDomainsTable } from '../db/schema.js';
import { type CheckedRecord, combinedStatus, type DnsRecord, type DomainCheck } from './dns-check.js';

// A sender domain as the API shows it: Genesys's OutboundDomain (cname/dkim/dmarc verification
// results) with threadline's own record list and DKIM key states; and the activation result.

const genesysRecord = (r: DnsRecord) => ({ name: r.host, type: r.type, value: r.value });
const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export function senderDomainView(row: SenderDomainsTable, keys: DkimKeysTable[], records: DnsRecord[]) {
  const check = row.check_results ? (JSON.parse(row.check_results) as DomainCheck) : null;
  const checked = records.map(
    (r): CheckedRecord =>
      check?.records.find((c) => c.purpose === r.purpose && c.host === r.host && c.value === r.value) ?? {
        ...r,
        status: 'PENDING',
        found: [],
        detail: 'not checked yet: PUT …/activation checks now',
      },
  );
  const signing = keys.find((k) => k.state === 'active');
  const of = (purposes: string[]) => records.filter((r) => purposes.includes(r.purpose));
  return {
    id: row.id,
    name: row.name,
    senderType: 'AGENTLESS' as const,
    status: row.status,
    // Genesys's names: the "cname" result is the sending (SPF) and bounce (return-path) records.
    cnameVerificationResult: {
      status: combinedStatus(checked.filter((c) => c.purpose === 'spf' || c.purpose === 'return-path')),
      records: of(['spf', 'return-path']).map(genesysRecord),
    },
    dkimVerificationResult: {
      status: combinedStatus(checked.filter((c) => c.purpose === 'dkim' && c.selector === signing?.selector)),
      records: of(['dkim']).map(genesysRecord),
    },
    dmarcVerificationResult: {
      status: check?.dmarc.status ?? 'NotPresent',
      ...(check?.dmarc.detectedPolicy ? { detectedPolicy: check.dmarc.detectedPolicy } : {}),
      dateChecked: iso(row.checked_at),
      records: of(['dmarc']).map(genesysRecord),
    },
    dnsRecords: checked.map((c) => ({
      purpose: c.purpose,
      host: c.host,
      type: c.type,
      value: c.value,
      status: c.status,
      detail: c.detail,
      found: c.found,
      ...(c.selector ? { selector: c.selector } : {}),
    })),
    dkimKeys: keys.map((k) => ({
      selector: k.selector,
      state: k.state,
      bits: k.bits,
      status: k.dns_status,
      dateCreated: iso(k.created_at),
      dateActivated: iso(k.activated_at),
      dateRetiring: iso(k.retiring_at),
    })),
    dateCreated: iso(row.created_at),
    dateChecked: iso(row.checked_at),
    dateVerified: iso(row.verified_at),
    selfUri: `/api/v2/routing/email/outbound/domains/${row.id}`,
  };
}

/** Genesys's EmailOutboundDomainResult, with threadline's record list and key states. */
export function activationView(v: ReturnType<typeof senderDomainView>) {
  const entry = (purpose: string) => {
    const r = v.dnsRecords.find((x) => x.purpose === purpose)!;
    return { host: r.host, recordContents: r.value, verificationStatus: r.status };
  };
  return {
    domainName: v.id,
    senderType: v.senderType,
    senderStatus: v.status,
    dnsTxtSendingRecord: entry('spf'),
    dnsCnameBounceRecord: entry('return-path'),
    dmarcVerificationResult: v.dmarcVerificationResult,
    dnsRecords: v.dnsRecords,
    dkimKeys: v.dkimKeys,
    dateChecked: v.dateChecked,
  };
}
