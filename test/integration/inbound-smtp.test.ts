import fs from 'node:fs';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendBody, startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, smtpSession, withHeaders } from '../helpers/smtp-client.js';

// The inbound SMTP server as a sending MTA meets it: real SMTP over 127.0.0.1.

let svc: TestService;
let port: number;
beforeAll(async () => {
  svc = await startService({ THREADLINE_SMTP_MAX_BYTES: '200000', THREADLINE_SMTP_MAX_RECIPIENTS: '3' });
  port = svc.running.smtpPort;
});

const gmail = () => fs.readFileSync('fixtures/replies/talon__gmail.eml');

describe('inbound SMTP policy', () => {
  it('greets, and advertises the size limit', async () => {
    const s = await smtpSession(port);
    try {
      expect(s.greeting).toMatch(/^220 replies\.localhost ESMTP threadline$/);
      expect(s.greeting.match(/ESMTP/g)).toHaveLength(1);
      const ehlo = await s.cmd('EHLO mx.example.com');
      expect(ehlo).toMatch(/^250[- ]SIZE 200000$/m);
      expect(ehlo).not.toMatch(/AUTH/);
      expect(ehlo).not.toMatch(/STARTTLS/);
    } finally {
      s.close();
    }
  });

  it.each([
    ['another domain', 'someone@other.example.com'],
    ['a subdomain of ours', `x@sub.${'replies.localhost'}`],
    ['the percent hack', 'victim%other.example.com@replies.localhost'],
    ['a bang path', 'other.example.com!victim@replies.localhost'],
    ['a quoted local part', '"victim@other.example.com"@replies.localhost'],
    ['a source route', '@replies.localhost:victim@other.example.com'],
    // smtp-server drops a route before our hook sees the address (RFC 5321 says to ignore it).
    ['a source route through another host to our domain', '@other.example:user@replies.localhost'],
    ['a source route of several hops to our domain', '@a.example,@b.example:user@replies.localhost'],
    ['an address literal', 'postmaster@[127.0.0.1]'],
  ])('refuses to relay: %s', async (_name, rcpt) => {
    const s = await smtpSession(port);
    try {
      await s.cmd('EHLO mx.example.com');
      await s.cmd('MAIL FROM:<sender@example.com>');
      const r = await s.cmd(`RCPT TO:<${rcpt}>`);
      // 550 5.7.1 from our policy, or 501 where smtp-server already refuses the syntax.
      expect(r).toMatch(/^(550 5\.7\.1|501) /);
    } finally {
      s.close();
    }
  });

  it('refuses every recipient of a pipelined flood of source-routed ones', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let said = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (said += d));
    try {
      const lines = Array.from({ length: 100 }, (_, i) => `RCPT TO:<@other.example:user${i}@replies.localhost>`);
      await waitFor(() => (said.startsWith('220') ? true : undefined), 5000, 'the greeting');
      // One write, as a pipelining client sends them.
      socket.write(['EHLO mx.example.com', 'MAIL FROM:<sender@example.com>', ...lines, ''].join('\r\n'));
      const replies = await waitFor(
        () => {
          const r = said
            .split('\r\n')
            .filter((l) => /^\d{3} /.test(l))
            .slice(3);
          return r.length === lines.length ? r : undefined;
        },
        10_000,
        'a reply to every RCPT',
      );
      for (const r of replies) expect(r).toMatch(/^550 5\.7\.1 /);
    } finally {
      socket.destroy();
    }
  });

  it('accepts any local part on a registered inbound domain', async () => {
    const s = await smtpSession(port);
    try {
      await s.cmd('EHLO mx.example.com');
      await s.cmd('MAIL FROM:<sender@example.com>');
      expect(await s.cmd('RCPT TO:<support@replies.localhost>')).toMatch(/^250/);
      expect(await s.cmd('RCPT TO:<SUPPORT@Replies.Localhost>')).toMatch(/^250/);
    } finally {
      s.close();
    }
  });

  it('limits recipients per message with 452', async () => {
    const s = await smtpSession(port);
    try {
      await s.cmd('EHLO mx.example.com');
      await s.cmd('MAIL FROM:<sender@example.com>');
      for (const n of [1, 2, 3]) expect(await s.cmd(`RCPT TO:<a${n}@replies.localhost>`)).toMatch(/^250/);
      expect(await s.cmd('RCPT TO:<a4@replies.localhost>')).toMatch(/^452 4\.5\.3/);
    } finally {
      s.close();
    }
  });

  it('answers 552 past the size limit, and stores nothing', async () => {
    const big = `${withHeaders(gmail(), { 'Message-Id': '<too-big@example.com>' })}${'x'.repeat(250_000)}\n`;
    const r = await deliver(port, { from: 'sender@example.com', to: ['support@replies.localhost'], raw: big });
    expect(r).toMatch(/^552 5\.3\.4/);
    const m = await svc.running.services.batcher.run((trx) => trx.selectFrom('messages').select('id').where('message_id_header', '=', 'too-big@example.com').execute());
    expect(m).toEqual([]);
  });

  it('answers 250 only once the message is stored, with the raw bytes kept', async () => {
    const raw = withHeaders(gmail(), { 'Message-Id': '<stored-once@example.com>', To: 'support@replies.localhost' });
    const r = await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw });
    expect(r).toMatch(/^250 2\.0\.0 Ok: stored [0-9a-f-]{36}$/);
    const id = r.split(' ').at(-1)!;
    const row = await svc.running.services.conversations.findMessageById(id);
    expect(row).toMatchObject({ direction: 'inbound', message_id_header: 'stored-once@example.com', status: 'received', from_email: 'xxx@gmail.com' });
    const rawRes = await svc.api('GET', `/api/v2/conversations/emails/${row!.conversation_id}/messages/${id}/raw`);
    expect(rawRes.body).toContain('Message-Id: <stored-once@example.com>');
    expect(rawRes.body).toContain('gmail_quote');
  });

  it('stores the same message delivered twice only once', async () => {
    const raw = withHeaders(gmail(), { 'Message-Id': '<twice@example.com>' });
    const a = await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw });
    const b = await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: withHeaders(raw, { Received: 'from relay2.example.com by mx.example.com' }) });
    expect(b.split(' ').at(-1)).toBe(a.split(' ').at(-1));
    // Same Message-ID with different content is a different message.
    const c = await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: raw.replace('Hello', 'Hello again') });
    expect(c.split(' ').at(-1)).not.toBe(a.split(' ').at(-1));
  });

  it('answers 451, not a permanent code, when storing fails, and stores nothing', async () => {
    // A real internal fault: the table the message is written to is gone.
    const { sql } = await import('kysely');
    await svc.running.services.batcher.run((trx) => sql`alter table raw_messages rename to raw_messages_away`.execute(trx));
    try {
      const r = await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: withHeaders(gmail(), { 'Message-Id': '<fault@example.com>' }) });
      expect(r).toMatch(/^451 4\.3\.0/);
    } finally {
      await svc.running.services.batcher.run((trx) => sql`alter table raw_messages_away rename to raw_messages`.execute(trx));
    }
    const m = await svc.running.services.batcher.run((trx) => trx.selectFrom('messages').select('id').where('message_id_header', '=', 'fault@example.com').execute());
    expect(m).toEqual([]);
    // And the sender's retry succeeds.
    expect(await deliver(port, { from: 'xxx@gmail.com', to: ['support@replies.localhost'], raw: withHeaders(gmail(), { 'Message-Id': '<fault@example.com>' }) })).toMatch(/^250/);
  });
});

describe('a reply to an agentless email', () => {
  it('threads by the reply token and keeps only the new text as the reply', async () => {
    const sent = await svc.api('POST', '/api/v2/conversations/emails/agentless', { body: sendBody(svc, { subject: 'Test' }) });
    const token = sent.body.replyToAddress.email as string;
    const raw = withHeaders(gmail(), { To: token, 'Message-Id': '<gmail-reply-1@mail.gmail.com>' });
    const r = await deliver(port, { from: 'xxx@gmail.com', to: [token], raw });
    expect(r).toMatch(/^250/);
    const list = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}/messages`);
    const inbound = list.body.entities.find((m: { direction: string }) => m.direction === 'inbound');
    expect(inbound).toMatchObject({ subject: 'Re: Test', from: { email: 'xxx@gmail.com', name: 'Megan One' }, inbound: { kind: 'reply', replyText: 'Hello' } });
    const why = await svc.api('GET', `/api/v2/conversations/emails/${sent.body.conversationId}/messages/${inbound.id}/threading`);
    expect(why.body).toMatchObject({ signal: 'reply-token', outcome: 'threaded', matchedMessageId: sent.body.id, windowDays: 30 });
  });
});
