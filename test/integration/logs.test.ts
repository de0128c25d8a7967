import { describe, expect, it, onTestFinished } from 'vitest';
import { killChildren, serve } from '../helpers/child-service.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { tempDir, waitFor } from '../helpers/service.js';
import { deliver } from '../helpers/smtp-client.js';

// What an operator sees at the default level (info) in `threadline serve`'s output: one line per
// accepted send, per delivery outcome and per inbound decision, with ids and domains and without
// bodies, addresses' local parts or secrets.

type Line = Record<string, unknown> & { msg: string; level: number };
const INFO = 30;

const reply = (to: string, subject: string, body: string) =>
  `From: Pat <pat@example.com>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\n${body}\r\n`;

describe('operator logs', () => {
  it('follow a session of sends and replies at info, one line per event, with ids and domains only', { timeout: 120_000 }, async () => {
    onTestFinished(killChildren);
    const dns = await startDnsServer();
    // Start-up on a busy machine can take a while: the readiness wait is generous.
    const svc = await serve({ THREADLINE_DATA_DIR: tempDir(), THREADLINE_DNS_SERVERS: dns.address }, 60_000);
    // Whole lines only: the last one may still be arriving.
    const lines = () =>
      svc
        .output()
        .split('\n')
        .slice(0, -1)
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
    const creds = lines().find((l) => l.clientSecretOnce) as Line & { clientId: string; clientSecretOnce: string };
    const tok = await fetch(`${svc.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecretOnce}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await tok.json()) as { access_token: string }).access_token;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${svc.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as Record<string, any>;
    };

    const sent = await api('POST', '/api/v2/conversations/emails/agentless', {
      senderType: 'Outbound',
      fromAddress: { email: 'orders@notify.localhost' },
      toAddresses: [{ email: 'pat@example.com' }],
      subject: 'Your order has shipped',
      textBody: 'A secret tracking number 7Q9X.',
    });
    expect(sent.id, JSON.stringify(sent)).toEqual(expect.any(String));
    await waitFor(() => lines().find((l) => l.msg === 'delivery sent' && l.messageId === sent.id), 30_000, 'the delivery line').catch((err: Error) => {
      throw new Error(`${err.message}; the output so far:\n${svc.output()}`);
    });
    const replyTo = sent.replyToAddress.email as string;

    // Quarantined (the default rule, require: nothing authenticates this reply), then threaded
    // (monitor), a new conversation (an address without a token), and a refused recipient.
    expect(await deliver(svc.smtpPort, { from: 'pat@example.com', to: [replyTo], raw: reply(replyTo, 'Re: Your order has shipped', 'Forged body text.') })).toMatch(/^250/);
    await api('PUT', '/api/v2/organizations/me/threading', { windowDays: 30, subjectThreading: true, inboundAuth: 'monitor' });
    expect(await deliver(svc.smtpPort, { from: 'pat@example.com', to: [replyTo], raw: reply(replyTo, 'Re: Your order has shipped', 'Where is it now?') })).toMatch(/^250/);
    expect(await deliver(svc.smtpPort, { from: 'pat@example.com', to: ['support@replies.localhost'], raw: reply('support@replies.localhost', 'Hello', 'A new question.') })).toMatch(/^250/);
    expect(await deliver(svc.smtpPort, { from: 'pat@example.com', to: ['someone@elsewhere.example'], raw: reply('someone@elsewhere.example', 'Hi', 'x') })).toMatch(/^550/);

    const inbound = await waitFor(
      () => {
        const found = lines().filter((l) => l.msg.startsWith('inbound '));
        return found.length >= 4 ? found : undefined;
      },
      10_000,
      'four inbound lines',
    );
    const all = lines();
    const accepted = all.filter((l) => l.msg === 'send accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ level: INFO, messageId: sent.id, conversationId: sent.conversationId, fromDomain: 'notify.localhost', toDomain: 'example.com' });
    expect(all.filter((l) => l.msg === 'delivery sent')).toEqual([
      expect.objectContaining({ level: INFO, messageId: sent.id, conversationId: sent.conversationId, toDomain: 'example.com' }),
    ]);
    expect(inbound.map((l) => [l.msg, l.level])).toEqual([
      ['inbound quarantined', INFO],
      ['inbound threaded', INFO],
      ['inbound new conversation', INFO],
      ['inbound refused', INFO],
    ]);
    expect(inbound[1]).toMatchObject({ conversationId: sent.conversationId, senderDomain: 'example.com', messageId: expect.any(String) });
    expect(inbound[3]).toMatchObject({ code: 550, recipientDomain: 'elsewhere.example' });

    // Nothing but the documented first-start line carries a secret; no body, no local part.
    const text = svc.output();
    for (const leak of ['7Q9X', 'Forged body', 'Where is it now', token, 'pat@', 'someone@', replyTo]) expect(text, leak).not.toContain(leak);
    expect(text.split(creds.clientSecretOnce).length - 1).toBe(1);
  });
});
