import crypto from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { dkimVerify } from 'mailauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/open.js';
import { publish, publishListed } from '../helpers/dns-server.js';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { type SunkMessage, startSink } from '../helpers/smtp-sink.js';

// Sender domains for real: the records threadline asks for, looked up in a DNS server on
// loopback; relaying refused until they verify; every message DKIM-signed and checked by
// mailauth's verifier against that DNS server; keys rotated without a gap; keys sealed at rest.

const DOMAIN = 'notify.shop.test';
const clock = manualClock(Date.UTC(2026, 10, 22, 9));
const DAY = 86_400_000;
let svc: TestService;
let sink: Awaited<ReturnType<typeof startSink>>;

interface Listed {
  purpose: string;
  host: string;
  type: string;
  value: string;
  status: string;
  detail: string;
  selector?: string;
}

beforeAll(async () => {
  sink = await startSink();
  svc = await startService(
    { THREADLINE_OUTBOUND_URL: `smtp://127.0.0.1:${sink.port}`, THREADLINE_PUBLIC_HOST: 'mx.shop.test', THREADLINE_SPF_MECHANISM: 'ip4:192.0.2.25', THREADLINE_DNS_CHECK_INTERVAL: '1h' },
    { clock },
  );
});

const domainPath = (d = DOMAIN) => `/api/v2/routing/email/outbound/domains/${d}`;
const activate = async (d = DOMAIN) => (await svc.api('PUT', `${domainPath(d)}/activation`)).body;
const records = async (d = DOMAIN) => (await svc.api('GET', domainPath(d))).body.dnsRecords as Listed[];
const dropRecords = (host: string, type: string) => {
  svc.dns.zone[host] = (svc.dns.zone[host] ?? []).filter((r) => r.type !== type);
};

async function sendFrom(from = `orders@${DOMAIN}`) {
  return svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { fromAddress: { email: from } }) });
}

async function delivered(id: string): Promise<SunkMessage> {
  return waitFor(() => sink.messages.find((m) => m.raw.toString('latin1').includes(id.replace(/-/g, ''))), 15_000, `message ${id} at the sink`);
}

/** mailauth's verifier, looking keys up in the test's DNS server like a receiving server would. */
async function verifyDkim(raw: Buffer) {
  const resolver = new dnsPromises.Resolver();
  resolver.setServers([svc.dns.address]);
  const res = await dkimVerify(raw, { resolver: ((name: string, type: string) => resolver.resolve(name, type as 'TXT')) as never });
  return res.results.map((r) => ({ domain: r.signingDomain, selector: r.selector, result: r.status.result }));
}

describe('sender domains', () => {
  it('require a subdomain unless told otherwise, and list every DNS record to publish', async () => {
    const apex = await svc.api('POST', '/api/v2/routing/email/outbound/domains', { body: { id: 'shop.test' } });
    expect(apex.status).toBe(400);
    expect(apex.body.details[0]).toEqual({ errorCode: 'domain.subdomain.required', fieldName: 'id' });
    expect(apex.body.message).toContain('notify.shop.test');

    const res = await svc.api('POST', '/api/v2/routing/email/outbound/domains', { body: { id: DOMAIN, name: 'Shop notifications' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: DOMAIN, status: 'PENDING', senderType: 'AGENTLESS' });
    const byPurpose = Object.fromEntries((res.body.dnsRecords as Listed[]).map((r) => [r.purpose, r]));
    expect(byPurpose.spf).toMatchObject({ host: DOMAIN, type: 'TXT', value: 'v=spf1 ip4:192.0.2.25 -all', status: 'PENDING' });
    expect(byPurpose.dkim).toMatchObject({ host: `tl20261122._domainkey.${DOMAIN}`, type: 'TXT', selector: 'tl20261122' });
    const p = /p=([A-Za-z0-9+/=]+)$/.exec(byPurpose.dkim!.value)![1]!;
    expect(crypto.createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(byPurpose.dmarc).toMatchObject({ host: `_dmarc.${DOMAIN}`, type: 'TXT', value: expect.stringMatching(/^v=DMARC1; p=none; rua=mailto:dmarc-reports@shop\.test/) });
    expect(byPurpose['return-path']).toMatchObject({ host: DOMAIN, type: 'MX', value: '10 mx.shop.test' });
    expect(byPurpose['inbound-mx']).toMatchObject({ host: svc.init.inboundDomain, type: 'MX', value: '10 mx.shop.test' });
    // Genesys's shape alongside.
    expect(res.body.dkimVerificationResult.records[0]).toEqual({ name: byPurpose.dkim!.host, type: 'TXT', value: byPurpose.dkim!.value });
    expect(res.body.dmarcVerificationResult).toMatchObject({ status: 'NotPresent' });
    expect(res.body.dkimKeys).toEqual([expect.objectContaining({ selector: 'tl20261122', state: 'active', bits: 2048, status: 'PENDING' })]);
  });

  it('refuse to relay from a domain that is not verified, naming the field', async () => {
    const res = await sendFrom();
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toEqual({ errorCode: 'sender.domain.not.verified', fieldName: 'fromAddress.email' });
    expect(res.body.message).toContain(`${DOMAIN} is PENDING`);
  });

  it('report each record PENDING, FAILED or VERIFIED as it is published, and DMARC from the organizational domain', async () => {
    const pending = await activate();
    expect(pending.senderStatus).toBe('PENDING');
    expect(pending.dnsTxtSendingRecord).toEqual({ host: DOMAIN, recordContents: 'v=spf1 ip4:192.0.2.25 -all', verificationStatus: 'PENDING' });
    expect(svc.dns.queries).toContain(`TXT ${DOMAIN}`);

    // An SPF record that does not authorize us, and a key that is not ours.
    publish(svc.dns.zone, DOMAIN, { type: 'TXT', data: 'v=spf1 include:_spf.elsewhere.example -all' });
    const dkim = (await records()).find((r) => r.purpose === 'dkim')!;
    publish(svc.dns.zone, dkim.host, {
      type: 'TXT',
      data: `v=DKIM1; k=rsa; p=${crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
    });
    const failed = await activate();
    expect(failed.senderStatus).toBe('FAILED');
    const f = Object.fromEntries((failed.dnsRecords as Listed[]).map((r) => [r.purpose, r]));
    expect(f.spf).toMatchObject({ status: 'FAILED', detail: expect.stringContaining('does not contain ip4:192.0.2.25') });
    expect(f.dkim).toMatchObject({ status: 'FAILED', detail: expect.stringContaining('not this domain') });

    // The right records, and DMARC only at the organizational domain (sp= speaks for subdomains).
    dropRecords(DOMAIN, 'TXT');
    dropRecords(dkim.host, 'TXT');
    for (const r of await records()) if (r.purpose !== 'dmarc') publishListed(svc.dns.zone, r);
    publish(svc.dns.zone, '_dmarc.shop.test', { type: 'TXT', data: 'v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@shop.test' });
    const ok = await activate();
    expect(ok.senderStatus).toBe('VERIFIED');
    expect(ok.dnsCnameBounceRecord).toEqual({ host: DOMAIN, recordContents: '10 mx.shop.test', verificationStatus: 'VERIFIED' });
    expect(ok.dmarcVerificationResult).toMatchObject({ status: 'Valid', detectedPolicy: 'reject' });
    expect((ok.dnsRecords as Listed[]).find((r) => r.purpose === 'dmarc')!.detail).toContain('organizational domain');

    publish(svc.dns.zone, `_dmarc.${DOMAIN}`, { type: 'TXT', data: 'v=DMARC1; p=none' });
    expect((await activate()).dmarcVerificationResult).toMatchObject({ status: 'Valid', detectedPolicy: 'none' });
    publish(svc.dns.zone, `_dmarc.${DOMAIN}`, { type: 'TXT', data: 'v=DMARC1; p=whatever' });
    expect((await activate()).dmarcVerificationResult).toMatchObject({ status: 'Invalid' });
    dropRecords(`_dmarc.${DOMAIN}`, 'TXT');
  });

  it('DKIM-sign every message with the domain key, verified by a real verifier', async () => {
    const res = await sendFrom();
    expect(res.status).toBe(202);
    const m = await delivered(res.body.id);
    expect(m.raw.toString('latin1')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=notify\.shop\.test;/);
    expect(await verifyDkim(m.raw)).toEqual([{ domain: DOMAIN, selector: 'tl20261122', result: 'pass' }]);

    // A byte changed in transit breaks it.
    const tampered = Buffer.from(m.raw.toString('latin1').replace('Your parcel is on its way.', 'Your parcel is on its way!'), 'latin1');
    expect((await verifyDkim(tampered))[0]!.result).not.toBe('pass'); // mailauth: neutral, body hash did not verify
  });

  it('keep private keys sealed at rest', async () => {
    const opened = openDatabase(svc.running.config.databaseUrl);
    try {
      const keys = await opened.db.selectFrom('dkim_keys').selectAll().where('domain_id', '=', DOMAIN).execute();
      expect(keys).toHaveLength(1);
      expect(keys[0]!.private_key_sealed).toMatch(/^v1\./);
      expect(keys[0]!.private_key_sealed).not.toContain('PRIVATE KEY');
      expect(Buffer.from(keys[0]!.private_key_sealed.slice(3), 'base64').toString('latin1')).not.toContain('MII');
    } finally {
      await opened.close();
    }
  });

  it('rotate keys without a gap: the new selector signs only once it verifies, the old one retires later', async () => {
    const rotated = await svc.api('POST', `${domainPath()}/dkim/rotations`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.dkimKeys.map((k: { selector: string; state: string }) => [k.selector, k.state])).toEqual([
      ['tl20261122', 'active'],
      ['tl20261122b', 'pending'],
    ]);
    expect((await svc.api('POST', `${domainPath()}/dkim/rotations`)).body.code).toBe('dkim.rotation.pending');

    // Not published yet: still signing with the old key, and the domain stays verified.
    expect((await activate()).senderStatus).toBe('VERIFIED');
    let m = await delivered((await sendFrom()).body.id);
    expect((await verifyDkim(m.raw))[0]).toMatchObject({ selector: 'tl20261122', result: 'pass' });

    publishListed(svc.dns.zone, (await records()).find((r) => r.selector === 'tl20261122b')!);
    const switched = await activate();
    expect(switched.dkimKeys.map((k: { selector: string; state: string }) => [k.selector, k.state])).toEqual([
      ['tl20261122', 'retiring'],
      ['tl20261122b', 'active'],
    ]);
    m = await delivered((await sendFrom()).body.id);
    expect(await verifyDkim(m.raw)).toEqual([{ domain: DOMAIN, selector: 'tl20261122b', result: 'pass' }]);
    // The retiring key is still listed, so messages signed with it before the switch verify.
    expect((await records()).filter((r) => r.purpose === 'dkim').map((r) => r.selector)).toEqual(['tl20261122', 'tl20261122b']);

    clock.advance(8 * DAY);
    await svc.newToken();
    const later = await activate();
    expect(later.dkimKeys.map((k: { selector: string; state: string }) => [k.selector, k.state])).toEqual([['tl20261122b', 'active']]);
    expect((await records()).filter((r) => r.purpose === 'dkim').map((r) => r.selector)).toEqual(['tl20261122b']);
  });

  it('check periodically, one instance per domain, and show a record that stops verifying', async () => {
    const { domains, batcher } = svc.running.services;
    const checks = async () => Number(/threadline_sender_domain_checks_total\{status="VERIFIED"\} (\d+)/.exec(await (await fetch(`${svc.url}/metrics`)).text())?.[1] ?? 0);
    // The service's own periodic look (a recurring job) is not in the middle of one.
    const lookIdle = async () =>
      (await batcher.run((trx) => trx.selectFrom('jobs').select('claimed_by').where('kind', '=', 'domains.check-due').executeTakeFirst()))?.claimed_by === null ? true : undefined;
    await waitFor(lookIdle, 10_000, 'the periodic look idle');
    const before = await checks();
    clock.advance(2 * 3600_000);
    // Two checkers racing (as two instances would), and the periodic job too: the due domains
    // (notify.shop.test and the default sender domain, verified at start) are checked once each.
    const [a, b] = await Promise.all([domains.checkDue(), domains.checkDue()]);
    expect(a + b).toBeLessThanOrEqual(2);
    await waitFor(async () => ((await checks()) - before === 2 ? true : undefined), 10_000, 'both due domains checked');
    await waitFor(lookIdle, 10_000, 'the periodic look idle');
    expect(await domains.checkDue()).toBe(0); // nothing due until the interval has passed
    expect((await checks()) - before).toBe(2);

    // The active key's record is removed: the next periodic check (the service's job) changes the status.
    dropRecords(`tl20261122b._domainkey.${DOMAIN}`, 'TXT');
    clock.advance(3600_000 + 1);
    const d = await waitFor(
      async () => {
        const got = (await svc.api('GET', domainPath())).body;
        return got.status === 'PENDING' ? got : undefined;
      },
      10_000,
      'the periodic check to find the record gone',
    );
    expect(d.status).toBe('PENDING');
    expect(d.dkimVerificationResult.status).toBe('PENDING');
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/threadline_sender_domain_status_changes_total\{from="VERIFIED",to="PENDING"\} 1/);
    expect((await sendFrom()).body.details[0].errorCode).toBe('sender.domain.not.verified');
  });
});

describe('capture mode', () => {
  it('sends from a registered domain that is not verified, signed', async () => {
    const cap = await startService({ THREADLINE_OUTBOUND_URL: 'capture' });
    expect((await cap.api('GET', `/api/v2/routing/email/outbound/domains/${cap.init.senderDomain}`)).body.status).toBe('PENDING');
    const res = await cap.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(cap) });
    expect(res.status).toBe(202);
    const eml = await waitFor(
      async () => {
        const r = await fetch(`${cap.url}/api/v2/conversations/emails/${res.body.conversationId}/messages/${res.body.id}/raw`, { headers: { authorization: `Bearer ${await cap.token()}` } });
        return r.status === 200 ? r.text() : undefined;
      },
      10_000,
      'the captured message',
    );
    expect(eml).toMatch(new RegExp(`^DKIM-Signature: .*d=${cap.init.senderDomain.replace(/\./g, '\\.')};`, 's'));
  });
});
