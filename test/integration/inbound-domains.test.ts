import { beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../helpers/dns-server.js';
import { startService, type TestService } from '../helpers/service.js';
import { smtpSession } from '../helpers/smtp-client.js';

// An inbound domain added through the API receives mail only once its organization proves,
// with a DNS TXT token, that it controls the name; registering a name tells nothing about
// other organizations.

let svc: TestService;
let other: { id: string; token: string };
const DOMAINS = '/api/v2/routing/email/domains';

beforeAll(async () => {
  svc = await startService();
  const org = await svc.running.services.auth.createOrganization('Other Shop');
  const client = await svc.running.services.auth.createClient(org.id, 'admin', ['*:*:*']);
  other = { id: org.id, token: await svc.token(client.id, client.secret) };
});

/** The reply to RCPT TO:<address>. */
async function rcpt(address: string): Promise<string> {
  const s = await smtpSession(svc.running.smtpPort);
  try {
    await s.cmd('EHLO mx.example.com');
    await s.cmd('MAIL FROM:<sender@example.com>');
    return await s.cmd(`RCPT TO:<${address}>`);
  } finally {
    s.close();
  }
}

const queueId = async () => (await svc.api('GET', '/api/v2/routing/queues')).body.entities[0].id as string;

describe('inbound domain ownership', () => {
  it('is PENDING with a TXT token, receives no mail and takes no routes until the token is published', async () => {
    const added = await svc.api('POST', DOMAINS, { body: { id: 'help.example.com' } });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({
      id: 'help.example.com',
      verificationStatus: 'PENDING',
      verificationRecord: { host: '_threadline-verify.help.example.com', type: 'TXT', value: expect.stringMatching(/^threadline-verify=[0-9a-f]{32}$/) },
    });
    expect((await svc.api('GET', DOMAINS)).body.entities.map((d: { id: string }) => d.id)).toContain('help.example.com');
    expect(await rcpt('support@help.example.com')).toMatch(/^550 5\.7\.1 /);
    const route = await svc.api('POST', `${DOMAINS}/help.example.com/routes`, { body: { pattern: '*', queue: { id: await queueId() } } });
    expect(route.status).toBe(409);
    expect(route.body.code).toBe('domain.not.verified');

    const unpublished = await svc.api('PUT', `${DOMAINS}/help.example.com/verification`);
    expect(unpublished.body).toMatchObject({ verificationStatus: 'PENDING', verificationDetail: expect.stringContaining('no TXT record') });
    publish(svc.dns.zone, '_threadline-verify.help.example.com', { type: 'TXT', data: 'threadline-verify=0123456789abcdef0123456789abcdef' });
    const wrong = await svc.api('PUT', `${DOMAINS}/help.example.com/verification`);
    expect(wrong.body).toMatchObject({ verificationStatus: 'FAILED', verificationDetail: expect.stringContaining('another token') });
    expect(await rcpt('support@help.example.com')).toMatch(/^550 5\.7\.1 /);

    publish(svc.dns.zone, '_threadline-verify.help.example.com', { type: 'TXT', data: added.body.verificationRecord.value });
    const verified = await svc.api('PUT', `${DOMAINS}/help.example.com/verification`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: 'help.example.com', verificationStatus: 'VERIFIED' });
    expect(await rcpt('support@help.example.com')).toMatch(/^250 /);
    expect((await svc.api('POST', `${DOMAINS}/help.example.com/routes`, { body: { pattern: 'billing', queue: { id: await queueId() } } })).status).toBe(200);
    // Adding it again is this organization's own business: it may be told.
    expect((await svc.api('POST', DOMAINS, { body: { id: 'help.example.com' } })).body.code).toBe('domain.exists');
  });

  it('tells another organization nothing, and never gives it a domain that another one verified', async () => {
    await svc.api('POST', DOMAINS, { body: { id: 'owned.example.com' } });
    await svc.verifyInboundDomain('owned.example.com');

    // The other organization may add the name like any other: no 409, no hint.
    const claim = await svc.api('POST', DOMAINS, { body: { id: 'owned.example.com' }, token: other.token });
    expect(claim.status).toBe(200);
    expect(claim.body.verificationStatus).toBe('PENDING');
    expect(JSON.stringify(claim.body)).not.toMatch(/already|another|exists/i);
    // Proving control of the DNS does not take the domain away from its organization.
    publish(svc.dns.zone, '_threadline-verify.owned.example.com', { type: 'TXT', data: claim.body.verificationRecord.value });
    const refused = await svc.api('PUT', `${DOMAINS}/owned.example.com/verification`, { token: other.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('domain.verification.refused');
    expect(JSON.stringify(refused.body)).not.toContain(svc.init.orgId);
    expect(JSON.stringify(refused.body)).not.toContain(svc.init.orgName);
    expect(await svc.running.services.inbound.recipientOrg('support@owned.example.com')).toBe(svc.init.orgId);
    // The other organization sees its own claim, the owner its domain.
    expect((await svc.api('GET', `${DOMAINS}/owned.example.com`, { token: other.token })).body.verificationStatus).toBe('PENDING');
    expect((await svc.api('GET', `${DOMAINS}/owned.example.com`)).body.verificationStatus).toBe('VERIFIED');
  });

  it('lets several organizations claim a name; the first to verify it receives its mail', async () => {
    const mine = await svc.api('POST', DOMAINS, { body: { id: 'contested.example.com' } });
    const theirs = await svc.api('POST', DOMAINS, { body: { id: 'contested.example.com' }, token: other.token });
    expect([mine.status, theirs.status]).toEqual([200, 200]);
    expect(theirs.body.verificationRecord.value).not.toBe(mine.body.verificationRecord.value);
    expect(await rcpt('support@contested.example.com')).toMatch(/^550 5\.7\.1 /);
    // The name's owner publishes the other organization's token: that one verifies.
    publish(svc.dns.zone, '_threadline-verify.contested.example.com', { type: 'TXT', data: theirs.body.verificationRecord.value });
    expect((await svc.api('PUT', `${DOMAINS}/contested.example.com/verification`)).body.verificationStatus).toBe('FAILED');
    expect((await svc.api('PUT', `${DOMAINS}/contested.example.com/verification`, { token: other.token })).body.verificationStatus).toBe('VERIFIED');
    expect(await svc.running.services.inbound.recipientOrg('support@contested.example.com')).toBe(other.id);
    // A pending claim can be withdrawn.
    expect((await svc.api('DELETE', `${DOMAINS}/contested.example.com`)).status).toBe(204);
    expect((await svc.api('GET', `${DOMAINS}/contested.example.com`)).status).toBe(404);
  });

  it("verifies the operator's own domain, configured for init, at creation", async () => {
    const d = await svc.api('GET', `${DOMAINS}/${svc.init.inboundDomain}`);
    expect(d.body).toMatchObject({ id: 'replies.localhost', verificationStatus: 'VERIFIED' });
    expect(d.body.verificationRecord).toBeUndefined();
    expect(await rcpt('support@replies.localhost')).toMatch(/^250 /);
  });
});
