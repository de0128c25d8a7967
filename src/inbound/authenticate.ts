import type { Readable } from 'node:stream';
import type { authenticate } from 'mailauth';
import type { InboundAuthPolicy } from '../config.js';
import type { Lookup } from '../dns/resolver.js';
import { organizationalDomain } from '../domains/dns-check.js';
import { lazy } from '../lazy.js';
import { domainOf } from '../mail/address.js';
import { type Author, settleAuthor } from './author.js';

// Inbound mail authentication with mailauth (SPF against the connecting IP and MAIL FROM, DKIM,
// DMARC alignment, ARC), from the SMTP session's own facts (never from Received headers), and
// the rule that decides whether a reply may join the conversation it names.

export interface AuthSummary {
  /**
   * The single From address DMARC evaluated; null when mailauth found none or several. Absent
   * when no check ran (authentication skipped, or a record older than this field): the author
   * is then taken as read, and only the policy decides (nothing but `monitor` lets an
   * unauthenticated reply in).
   */
  dmarcFrom?: string | null;
  fromDomain: string | null;
  spf: { result: string; domain: string | null; aligned: boolean };
  dkim: Array<{ result: string; domain: string; selector: string; aligned: boolean; comment: string | null }>;
  dmarc: { result: string; policy: string | null; domain: string | null; comment: string | null };
  arc: { result: string };
  /** No SPF record, no DMARC record and no DKIM signature for the From domain. */
  publishesNothing: boolean;
}

export interface AuthResult {
  /** The Authentication-Results header field (RFC 8601) mailauth wrote, without its name. */
  header: string;
  summary: AuthSummary;
}

export interface SessionFacts {
  remoteAddress: string;
  helo: string | null;
  envelopeFrom: string;
  /** Our host name, the authserv-id of the Authentication-Results. */
  mta: string;
}

const aligned = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && organizationalDomain(a.toLowerCase()) === organizationalDomain(b.toLowerCase());

type MailauthResult = {
  headers: string;
  spf?: { domain?: string; status?: { result?: string } } | false;
  dkim?: { headerFrom?: string[]; results?: Array<{ signingDomain?: string; selector?: string; status?: { result?: string; comment?: string } }> };
  dmarc?: { domain?: string; policy?: string; p?: string; status?: { result?: string; comment?: string } } | false;
  arc?: { status?: { result?: string } } | false;
};

// Loaded on first use, like the parser (prepare.ts): the main thread seldom authenticates.
const loadMailauth = lazy(async () => (await import('mailauth')).authenticate);

export async function authenticateMessage(raw: Buffer | Readable, facts: SessionFacts, resolver: Lookup): Promise<AuthResult> {
  const authenticate_ = await loadMailauth();
  const r = (await authenticate_(raw, {
    ip: facts.remoteAddress.replace(/^::ffff:/, ''),
    helo: facts.helo ?? undefined,
    sender: facts.envelopeFrom,
    mta: facts.mta,
    resolver,
    trustReceived: false,
    // BIMI fetches logos and certificates over HTTPS: not part of authentication.
    disableBimi: true,
  } as Parameters<typeof authenticate>[1])) as unknown as MailauthResult;
  // mailauth skips DMARC unless it finds exactly one From mailbox; neither do we align with one.
  const headerFrom = r.dkim?.headerFrom ?? [];
  const dmarcFrom = headerFrom.length === 1 ? headerFrom[0]!.toLowerCase() : null;
  const fromDomain = dmarcFrom ? domainOf(dmarcFrom) || null : null;
  // mailauth gives `false` for a check it did not run.
  const spf = r.spf || undefined;
  const dmarcResult = r.dmarc || undefined;
  const spfDomain = spf?.domain || null;
  const spfResult = spf?.status?.result || 'none';
  const dkim = (r.dkim?.results ?? [])
    .filter((d) => d.signingDomain)
    .map((d) => ({
      result: d.status?.result ?? 'none',
      domain: d.signingDomain!.toLowerCase(),
      selector: d.selector ?? '',
      aligned: aligned(d.signingDomain, fromDomain),
      comment: d.status?.comment ?? null,
    }));
  const dmarc = {
    result: dmarcResult?.status?.result || 'none',
    policy: (dmarcResult?.policy ?? dmarcResult?.p) || null,
    domain: dmarcResult?.domain || fromDomain,
    comment: dmarcResult?.status?.comment || null,
  };
  const header = /Authentication-Results:\s*([\s\S]*)$/i.exec(r.headers.trim())?.[1]?.trim() ?? '';
  return {
    header,
    summary: {
      dmarcFrom,
      fromDomain,
      spf: { result: spfResult, domain: spfDomain, aligned: aligned(spfDomain, fromDomain) },
      dkim,
      dmarc,
      arc: { result: (r.arc || undefined)?.status?.result || 'none' },
      publishesNothing: spfResult === 'none' && dmarc.result === 'none' && !dkim.some((d) => d.aligned),
    },
  };
}

/**
 * The result of a message that was not authenticated (`reason`: why): no method passes, so the
 * organization's rule treats it as unauthenticated.
 */
export function skippedAuth(mta: string, reason: string): AuthResult {
  return {
    // RFC 8601: "none" when no method was applied; the comment says why.
    header: `${mta}; none (authentication skipped: ${reason.replace(/[()\\]/g, ' ')})`,
    summary: {
      fromDomain: null,
      spf: { result: 'none', domain: null, aligned: false },
      dkim: [],
      dmarc: { result: 'none', policy: null, domain: null, comment: null },
      arc: { result: 'none' },
      publishesNothing: false,
    },
  };
}

export interface Authorization {
  policy: InboundAuthPolicy;
  /** True: the reply joins the conversation. False: it goes to quarantine. */
  allowed: boolean;
  /** dmarc-pass, customer-aligned-spf, customer-aligned-dkim, relaxed-publishes-nothing, ambiguous-author, or unauthenticated. */
  rule: string;
  reason: string;
}

/**
 * A reply joins an existing conversation only if DMARC passes for its From domain and that
 * domain is the customer's (a colleague at the same company), or its From address is the
 * conversation's customer and SPF or DKIM passes aligned with the From domain. A stranger's
 * domain passing its own DMARC proves who sent it, not that they belong in the conversation:
 * a reply from it naming our Message-ID is held like any other.
 * Every rule decides on one author: the From address DMARC evaluated (see author.ts). A message
 * without one is held under every policy, `monitor` included: it is how an attacker makes the
 * customer check and the alignment check read two different addresses.
 * `relaxed` also lets the customer's own address in when the domain publishes nothing; `monitor`
 * lets everything else in and records what `require` would have done.
 */
export function authorizeReply(s: AuthSummary, read: Author, customerEmail: string, policy: InboundAuthPolicy): Authorization {
  const author = settleAuthor(read, s.dmarcFrom);
  if (author.problem !== null) return { policy, allowed: false, rule: 'ambiguous-author', reason: `The author cannot be determined unambiguously: ${author.problem}` };
  const fromEmail = author.address;
  const fromDomain = domainOf(fromEmail);
  const isCustomer = fromEmail === customerEmail.toLowerCase();
  const verdict = ((): Omit<Authorization, 'policy'> => {
    const sameCompany = aligned(fromDomain, domainOf(customerEmail));
    if (s.dmarc.result === 'pass' && sameCompany) return { allowed: true, rule: 'dmarc-pass', reason: `DMARC passes for ${fromDomain}, the customer's domain` };
    const spf = s.spf.result === 'pass' && aligned(s.spf.domain, fromDomain);
    const dkim = s.dkim.find((d) => d.result === 'pass' && aligned(d.domain, fromDomain));
    if (isCustomer && spf)
      return { allowed: true, rule: 'customer-aligned-spf', reason: `From is the conversation's customer and SPF passes for ${s.spf.domain}, aligned with ${fromDomain}` };
    if (isCustomer && dkim)
      return { allowed: true, rule: 'customer-aligned-dkim', reason: `From is the conversation's customer and DKIM passes for ${dkim.domain}, aligned with ${fromDomain}` };
    if (policy === 'relaxed' && isCustomer && s.publishesNothing) {
      return { allowed: true, rule: 'relaxed-publishes-nothing', reason: `${fromDomain} publishes no SPF, DMARC or DKIM, and From is the conversation's customer (relaxed policy)` };
    }
    const broken = s.dkim.filter((d) => d.result !== 'pass').map((d) => `DKIM ${d.result} for ${d.domain}${d.comment ? ` (${d.comment})` : ''}`);
    const facts = [
      `DMARC ${s.dmarc.result}${s.dmarc.policy ? ` (p=${s.dmarc.policy})` : ''}`,
      `SPF ${s.spf.result}${s.spf.domain ? ` for ${s.spf.domain}${s.spf.result === 'pass' && !s.spf.aligned ? ', not aligned' : ''}` : ''}`,
      ...(broken.length ? broken : s.dkim.length ? [] : ['no DKIM signature']),
    ].join('; ');
    const who = isCustomer
      ? `From ${fromEmail} is the conversation's customer, but neither SPF nor DKIM passes aligned with ${fromDomain}`
      : s.dmarc.result === 'pass'
        ? `DMARC passes for ${fromDomain}, but it is not the domain of the conversation's customer (${customerEmail})`
        : `From ${fromEmail} is not the conversation's customer (${customerEmail}) and DMARC does not pass`;
    return { allowed: false, rule: 'unauthenticated', reason: `${who}: ${facts}` };
  })();
  if (policy === 'monitor' && !verdict.allowed) return { policy, allowed: true, rule: 'monitor', reason: `would be quarantined under require: ${verdict.reason}` };
  return { policy, ...verdict };
}
