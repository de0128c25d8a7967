import { beforeAll, describe, expect, it } from 'vitest';
import { sendBody, startService, type TestService } from '../helpers/service.js';

// Every Genesys limit, on both sides of its boundary: the last accepted value and the first
// refused one, with the refusal naming the field.

let svc: TestService;
beforeAll(async () => {
  // A high limit so that this file's many sends are not throttled.
  svc = await startService({ THREADLINE_RATE_LIMIT_PER_MINUTE: '100000' });
});

const send = (overrides: Record<string, unknown>) => svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, overrides) });
const local = (n: number) => 'a'.repeat(n);
// A domain of exactly n characters under example.com, in labels of at most 63.
function domainOfLength(n: number): string {
  const suffix = '.example.com';
  let rest = n - suffix.length;
  const labels: string[] = [];
  while (rest > 0) {
    const len = Math.min(63, rest === 1 ? 1 : rest - 1 > 63 ? 63 : rest);
    const take = rest - len === 1 ? len - 1 : len;
    labels.push('d'.repeat(take));
    rest -= take + 1;
  }
  return labels.join('.') + suffix;
}

describe('agentless send limits', () => {
  it.each([
    ['subject', { subject: 'x'.repeat(400) }, { subject: 'x'.repeat(401) }, 'subject'],
    ['subject in characters, not bytes', { subject: 'é'.repeat(400) }, { subject: 'é'.repeat(401) }, 'subject'],
    ['local part', { toAddresses: [{ email: `${local(64)}@example.com` }] }, { toAddresses: [{ email: `${local(65)}@example.com` }] }, 'toAddresses[0].email'],
    ['display name', { toAddresses: [{ email: 'c@example.com', name: 'n'.repeat(64) }] }, { toAddresses: [{ email: 'c@example.com', name: 'n'.repeat(65) }] }, 'toAddresses[0].name'],
    ['from display name', { fromAddress: { email: 'n@notify.localhost', name: 'n'.repeat(64) } }, { fromAddress: { email: 'n@notify.localhost', name: 'n'.repeat(65) } }, 'fromAddress.name'],
    ['domain', { toAddresses: [{ email: `c@${domainOfLength(253)}` }] }, { toAddresses: [{ email: `c@${domainOfLength(254)}` }] }, 'toAddresses[0].email'],
    ['body (3 MB)', { textBody: 'b'.repeat(3 * 1024 * 1024) }, { textBody: 'b'.repeat(3 * 1024 * 1024 + 1) }, 'textBody'],
    [
      'body, text and HTML together',
      { textBody: 't'.repeat(1024 * 1024), htmlBody: 'h'.repeat(2 * 1024 * 1024) },
      { textBody: 't'.repeat(1024 * 1024), htmlBody: 'h'.repeat(2 * 1024 * 1024 + 1) },
      'htmlBody',
    ],
    ['recipients', { toAddresses: [{ email: 'one@example.com' }] }, { toAddresses: [{ email: 'one@example.com' }, { email: 'two@example.com' }] }, 'toAddresses'],
  ])('%s: the limit is accepted, one past it is refused', async (_name, ok, bad, field) => {
    expect(domainOfLength(253)).toHaveLength(253);
    const accepted = await send(ok);
    expect(accepted.status, JSON.stringify(accepted.body).slice(0, 300)).toBe(202);
    const refused = await send(bad);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('bad.request');
    expect(refused.body.details[0].fieldName).toBe(field);
    expect(refused.body.contextId).toEqual(expect.any(String));
    expect(refused.body.errors).toEqual([]);
  });

  it.each([
    ['no recipient', { toAddresses: [] }, 'toAddresses'],
    ['attachments', { attachments: [{ name: 'a.pdf', content: 'AAAA' }] }, 'attachments'],
    ['senderType other than Outbound', { senderType: 'Inbound' }, 'senderType'],
    ['a missing senderType', { senderType: undefined }, 'senderType'],
    ['a malformed recipient', { toAddresses: [{ email: 'not-an-address' }] }, 'toAddresses[0].email'],
    ['a recipient with two @', { toAddresses: [{ email: 'a@b@example.com' }] }, 'toAddresses[0].email'],
    ['a quoted local part', { toAddresses: [{ email: '"a b"@example.com' }] }, 'toAddresses[0].email'],
    ['an address literal', { toAddresses: [{ email: 'a@[127.0.0.1]' }] }, 'toAddresses[0].email'],
    ['a relay-style local part', { toAddresses: [{ email: 'victim%other.test@example.com' }] }, 'toAddresses[0].email'],
    ['CR/LF in the subject (header injection)', { subject: 'Hello\r\nBcc: victim@example.com' }, 'subject'],
    ['LF alone in the subject', { subject: 'Hello\nX-Evil: 1' }, 'subject'],
    ['CR/LF in a display name', { toAddresses: [{ email: 'c@example.com', name: 'Pat\r\nBcc: v@example.com' }] }, 'toAddresses[0].name'],
    ['CR/LF in an address', { toAddresses: [{ email: 'c@example.com\r\nBcc: v@example.com' }] }, 'toAddresses[0].email'],
    ['CR/LF in the reply-to name', { replyToAddress: { email: 'r@example.com', name: 'x\ny' } }, 'replyToAddress.name'],
    ['no body at all', { textBody: undefined }, 'textBody'],
    ['a sender domain that is not the organization’s', { fromAddress: { email: 'ceo@example.com' } }, 'fromAddress.email'],
    ['a conversationId that is not a UUID', { conversationId: 'abc' }, 'conversationId'],
    ['an unknown conversation', { conversationId: '01a203f4-0000-7000-8000-000000000000' }, 'conversationId'],
    ['a subject that is not a string', { subject: 42 }, 'subject'],
  ])('refuses %s with a 400 naming %s', async (_name, overrides, field) => {
    const res = await send(overrides);
    expect(res.status).toBe(400);
    expect(res.body.details[0].fieldName).toBe(field);
    expect(res.body.message.length).toBeGreaterThan(10);
  });

  it.each([
    ['fromAddress given as a string', { fromAddress: 'orders@notify.localhost' }, 'fromAddress', 'fromAddress: must be an object (got a string).'],
    ['toAddresses given as one object', { toAddresses: { email: 'c@example.com' } }, 'toAddresses', 'toAddresses: must be an array (got an object).'],
    ['a missing fromAddress', { fromAddress: undefined }, 'fromAddress', 'fromAddress: is required.'],
    ['an unknown field (a typo of textBody)', { textbody: 'hello' }, 'textbody', 'textbody: is not a field of this request.'],
    ['an unknown field inside an address', { toAddresses: [{ email: 'c@example.com', nmae: 'Pat' }] }, 'toAddresses[0].nmae', 'toAddresses[0].nmae: is not a field of this request.'],
  ])('names the problem of %s', async (_name, overrides, field, message) => {
    const res = await send(overrides);
    expect(res.status).toBe(400);
    expect(res.body.details[0].fieldName).toBe(field);
    expect(res.body.message).toBe(message);
  });

  it.each(['ccAddresses', 'bccAddresses'])('refuses %s: an agentless email has one recipient', async (field) => {
    const res = await send({ [field]: [{ email: 'copy@example.com' }] });
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toEqual({ errorCode: 'recipients.not.supported', fieldName: field });
    expect(res.body.message).toContain('exactly one recipient');
  });

  it('refuses a body that is not JSON with a clear 400', async () => {
    const res = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: '{"senderType": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.status).toBe(400);
    expect(res.body.message).toMatch(/JSON|body/i);
  });

  it('answers a request over 8 MB with 413', async () => {
    const res = await send({ textBody: 'x'.repeat(9 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('request.entity.too.large');
  });
});
