import { describe, expect, it } from 'vitest';
import type { InboundAuthPolicy } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { createSealer } from '../../src/crypto/sealed.js';
import { type CheckedRecord, domainStatus, expectedRecords, organizationalDomain } from '../../src/domains/dns-check.js';
import { datedSelector } from '../../src/domains/sender-domains.js';
import { type AuthSummary, authorizeReply } from '../../src/inbound/authenticate.js';
import type { Author } from '../../src/inbound/author.js';

const summary = (over: Partial<AuthSummary> = {}): AuthSummary => ({
  dmarcFrom: 'pat@customer.test',
  fromDomain: 'customer.test',
  spf: { result: 'none', domain: null, aligned: false },
  dkim: [],
  dmarc: { result: 'none', policy: null, domain: 'customer.test', comment: null },
  arc: { result: 'none' },
  publishesNothing: false,
  ...over,
});

describe('the rule for appending a reply', () => {
  const customer = 'pat@customer.test';
  const author = (address: string): Author => ({ address, name: null, problem: null });
  // A message from `from` whose single From mailbox DMARC evaluated.
  const authorize = (s: AuthSummary, from: string, customerEmail: string, policy: InboundAuthPolicy) =>
    authorizeReply({ ...s, dmarcFrom: from, fromDomain: from.slice(from.indexOf('@') + 1) }, author(from), customerEmail, policy);
  it('lets DMARC-passing mail from the customer’s domain in, a colleague too', () => {
    const s = summary({ dmarc: { result: 'pass', policy: 'reject', domain: 'customer.test', comment: null } });
    expect(authorize(s, customer, customer, 'require')).toMatchObject({ allowed: true, rule: 'dmarc-pass' });
    expect(authorize(s, 'sam@customer.test', customer, 'require')).toMatchObject({ allowed: true, rule: 'dmarc-pass' });
    expect(authorize({ ...s, fromDomain: 'mail.customer.test' }, 'sam@mail.customer.test', customer, 'require').allowed).toBe(true);
  });
  it('holds a stranger whose own DMARC passes', () => {
    const s = summary({ fromDomain: 'attacker.test', dmarc: { result: 'pass', policy: 'none', domain: 'attacker.test', comment: null } });
    expect(authorize(s, 'm@attacker.test', customer, 'require')).toMatchObject({ allowed: false, rule: 'unauthenticated', reason: expect.stringContaining('not the domain') });
  });
  it('lets the customer in on aligned SPF or DKIM, but not on unaligned ones', () => {
    expect(authorize(summary({ spf: { result: 'pass', domain: 'customer.test', aligned: true } }), customer, customer, 'require').rule).toBe('customer-aligned-spf');
    expect(authorize(summary({ dkim: [{ result: 'pass', domain: 'customer.test', selector: 's', aligned: true, comment: null }] }), customer, customer, 'require').rule).toBe(
      'customer-aligned-dkim',
    );
    const unaligned = summary({
      spf: { result: 'pass', domain: 'bulk.example', aligned: false },
      dkim: [{ result: 'pass', domain: 'esp.example', selector: 's', aligned: false, comment: null }],
    });
    expect(authorize(unaligned, customer, customer, 'require')).toMatchObject({ allowed: false, reason: expect.stringContaining('not aligned') });
    // Aligned SPF for someone who is not the customer is not enough without DMARC.
    expect(authorize(summary({ spf: { result: 'pass', domain: 'customer.test', aligned: true } }), 'sam@customer.test', customer, 'require').allowed).toBe(false);
  });
  it('relaxed lets the customer in only when the domain publishes nothing; monitor lets all in and says why', () => {
    const nothing = summary({ publishesNothing: true });
    expect(authorize(nothing, customer, customer, 'require').allowed).toBe(false);
    expect(authorize(nothing, customer, customer, 'relaxed')).toMatchObject({ allowed: true, rule: 'relaxed-publishes-nothing' });
    expect(authorize(nothing, 'sam@customer.test', customer, 'relaxed').allowed).toBe(false);
    const failing = summary({ dmarc: { result: 'fail', policy: 'reject', domain: 'customer.test', comment: null }, spf: { result: 'fail', domain: 'customer.test', aligned: true } });
    expect(authorize(failing, customer, customer, 'relaxed').allowed).toBe(false);
    expect(authorize(failing, customer, customer, 'monitor')).toMatchObject({
      allowed: true,
      rule: 'monitor',
      reason: expect.stringMatching(/^would be quarantined under require: .*DMARC fail \(p=reject\)/),
    });
  });
});

describe('sender domain records', () => {
  it('lists SPF, DKIM per key, DMARC, return path and inbound MX', () => {
    const r = expectedRecords({
      domain: 'notify.shop.test',
      inboundDomain: 'replies.shop.test',
      spfMechanism: 'include:_spf.relay.example',
      mxHost: 'mx.shop.test',
      dkim: [{ selector: 'tl20261122', value: 'v=DKIM1; k=rsa; p=AAA' }],
    });
    expect(r.map((x) => [x.purpose, x.host, x.type, x.value])).toEqual([
      ['spf', 'notify.shop.test', 'TXT', 'v=spf1 include:_spf.relay.example -all'],
      ['dkim', 'tl20261122._domainkey.notify.shop.test', 'TXT', 'v=DKIM1; k=rsa; p=AAA'],
      ['dmarc', '_dmarc.notify.shop.test', 'TXT', 'v=DMARC1; p=none; rua=mailto:dmarc-reports@shop.test; adkim=r; aspf=r'],
      ['return-path', 'notify.shop.test', 'MX', '10 mx.shop.test'],
      ['inbound-mx', 'replies.shop.test', 'MX', '10 mx.shop.test'],
    ]);
  });
  it('is verified when SPF and the signing key verify, whatever the other keys say', () => {
    const rec = (purpose: string, status: string, selector?: string) => ({ purpose, status, selector }) as unknown as CheckedRecord;
    expect(domainStatus([rec('spf', 'VERIFIED'), rec('dkim', 'VERIFIED', 'a'), rec('dkim', 'PENDING', 'b')], 'a')).toBe('VERIFIED');
    expect(domainStatus([rec('spf', 'VERIFIED'), rec('dkim', 'VERIFIED', 'a'), rec('dkim', 'PENDING', 'b')], 'b')).toBe('PENDING');
    expect(domainStatus([rec('spf', 'FAILED'), rec('dkim', 'VERIFIED', 'a')], 'a')).toBe('FAILED');
    expect(domainStatus([rec('spf', 'UNKNOWN'), rec('dkim', 'VERIFIED', 'a')], 'a')).toBe('UNKNOWN');
    expect(domainStatus([rec('spf', 'VERIFIED')], null)).toBe('PENDING');
  });
  it('names the organizational domain by the public suffix list', () => {
    expect(organizationalDomain('notify.shop.example.co.uk')).toBe('example.co.uk');
    expect(organizationalDomain('mail.shop.test')).toBe('shop.test');
  });
  it('dates DKIM selectors and never reuses one', () => {
    const day = Date.UTC(2026, 10, 22, 15);
    expect(datedSelector(day, [])).toBe('tl20261122');
    expect(datedSelector(day, ['tl20261122'])).toBe('tl20261122b');
    expect(datedSelector(day, ['tl20261122', 'tl20261122b'])).toBe('tl20261122c');
  });
});

describe('secrets at rest', () => {
  const a = createSealer(Buffer.from('a'.repeat(40)), 'dkim keys');
  it('seals and opens, with a fresh IV each time', () => {
    const s1 = a.seal('-----BEGIN PRIVATE KEY-----');
    expect(s1).not.toContain('PRIVATE');
    expect(a.seal('-----BEGIN PRIVATE KEY-----')).not.toBe(s1);
    expect(a.open(s1)).toBe('-----BEGIN PRIVATE KEY-----');
  });
  it('refuses a changed ciphertext or another secret, saying why', () => {
    const s1 = a.seal('secret');
    const flipped = `v1.${Buffer.from(Buffer.from(s1.slice(3), 'base64').map((b, i) => (i === 30 ? b ^ 1 : b))).toString('base64')}`;
    expect(() => a.open(flipped)).toThrow(/THREADLINE_SECRET/);
    expect(() => createSealer(Buffer.from('b'.repeat(40)), 'dkim keys').open(s1)).toThrow(/THREADLINE_SECRET/);
  });
});

describe('configuration for domains and authentication', () => {
  it('derives the SPF term from the outbound target and validates the new variables', () => {
    expect(loadConfig({ THREADLINE_OUTBOUND_URL: 'smtp://192.0.2.7:25' }).dns.spfMechanism).toBe('ip4:192.0.2.7');
    expect(loadConfig({ THREADLINE_OUTBOUND_URL: 'smtp://relay.example.com:587' }).dns.spfMechanism).toBe('a:relay.example.com');
    expect(loadConfig({ THREADLINE_OUTBOUND_URL: 'direct', THREADLINE_PUBLIC_HOST: 'mx.example.com' }).dns.spfMechanism).toBe('a:mx.example.com');
    expect(loadConfig({}).inboundAuth).toBe('require');
    expect(() => loadConfig({ THREADLINE_INBOUND_AUTH: 'off' })).toThrow(/THREADLINE_INBOUND_AUTH/);
    expect(() => loadConfig({ THREADLINE_SPF_MECHANISM: 'v=spf1 a -all' })).toThrow(/THREADLINE_SPF_MECHANISM: must be one SPF term/);
    expect(() => loadConfig({ THREADLINE_DKIM_BITS: '512' })).toThrow(/THREADLINE_DKIM_BITS/);
    expect(() => loadConfig({ THREADLINE_DNS_CHECK_INTERVAL: '5s' })).toThrow(/THREADLINE_DNS_CHECK_INTERVAL/);
  });
});
