import { describe, expect, it } from 'vitest';
import { readReport } from '../../src/bounces/read-report.js';
import { classify } from '../../src/bounces/reason.js';
import { newId } from '../../src/ids.js';
import { bounceAddress, deriveTokenKeys, messageIdHeader } from '../../src/mail/tokens.js';

const keys = deriveTokenKeys(Buffer.from('unit-test-secret-0123456789abcdef0123'));
const id = newId();
const ourMessageId = messageIdHeader(keys, id, 'notify.example.com');
const verp = bounceAddress(keys, id, 'notify.example.com');
const forged = verp.replace(/-([0-9a-f])/, (_m, c: string) => `-${c === 'a' ? 'b' : 'a'}`);

const crlf = (text: string) => Buffer.from(`${text.trim().replace(/\r?\n/g, '\r\n')}\r\n`);

interface DsnOptions {
  messageId?: string;
  action?: string;
  status?: string;
  diagnostic?: string;
  returnedBody?: string;
  /** Parts after the returned message. */
  tail?: string;
}

function dsn({
  messageId = ourMessageId,
  action = 'failed',
  status = '5.1.1',
  diagnostic = '550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown',
  returnedBody = 'Hello',
  tail = '',
}: DsnOptions = {}) {
  return crlf(`
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: ${verp}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; ann@example.net
Original-Recipient: rfc822;ann@example.net
Action: ${action}
Status: ${status}
Remote-MTA: dns; mx2.example.net
Diagnostic-Code: smtp; ${diagnostic}

--b1
Content-Type: message/rfc822

From: Support <support@notify.example.com>
To: ann@example.net
Subject: Your parcel
Message-ID: <${messageId}>

${returnedBody}
${tail}--b1--
`);
}

describe('readReport links a report to our message', () => {
  it('through the VERP address it was sent to, with what failed and why', async () => {
    const report = await readReport(dsn(), { keys, envelopeRecipient: verp });
    expect(report).toMatchObject({ kind: 'dsn', messageId: id, linkedBy: 'verp', originalMessageId: ourMessageId, envelopeRecipient: verp, truncated: false });
    expect(report.recipients).toEqual([
      {
        recipient: 'ann@example.net',
        action: 'failed',
        status: '5.1.1',
        diagnostic: '550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown',
        remoteMta: 'mx2.example.net',
        reason: 'userunknown',
        class: 'hard',
      },
    ]);
  });

  it('through our signed Message-ID in the returned headers when the token is forged', async () => {
    const report = await readReport(dsn(), { keys, envelopeRecipient: forged });
    expect(report).toMatchObject({ messageId: id, linkedBy: 'message-id' });
  });

  it('to nothing when neither the token nor the Message-ID is ours', async () => {
    const report = await readReport(dsn({ messageId: 'CAKx=abc@mail.gmail.com' }), { keys, envelopeRecipient: forged });
    expect(report).toMatchObject({ kind: 'dsn', messageId: null, linkedBy: null, originalMessageId: 'CAKx=abc@mail.gmail.com' });
  });

  it("through a complaint's Original-Mail-From", async () => {
    const arf = crlf(`
From: feedback@arf.example.net
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b2"

--b2
Content-Type: text/plain

This is an abuse report.

--b2
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <${verp}>
Original-Rcpt-To: <ann@example.net>
Source-IP: 192.0.2.1

--b2
Content-Type: text/rfc822-headers

From: support@notify.example.com
Message-ID: <CAKx=other@mail.example.org>

--b2--
`);
    const report = await readReport(arf, { keys });
    expect(report).toMatchObject({ kind: 'arf', messageId: id, linkedBy: 'verp', recipients: [] });
    expect(report.feedback).toMatchObject({ feedbackType: 'abuse', originalRecipient: 'ann@example.net', source: 'ExampleFBL/1.0', sourceIp: '192.0.2.1' });
  });
});

describe('readReport bounds its work', () => {
  it('reads an ordinary reply from its header block alone, however long it is', async () => {
    const reply = crlf(`From: Ann <ann@example.net>\nSubject: Re: Your parcel\nContent-Type: text/plain\n\n${'could not be delivered\n'.repeat(50_000)}`);
    const report = await readReport(reply, { keys, maxBytes: 64 * 1024 });
    expect(report).toMatchObject({ kind: 'none', recipients: [], truncated: false });
  });

  it('reads only the start of a long report, where the report parts are', async () => {
    // A second status part after a long returned message: past the bound, so never read.
    const late = '--b1\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; late@example.net\nAction: failed\nStatus: 5.1.1\n\n';
    const raw = dsn({ returnedBody: 'x'.repeat(200).concat('\n').repeat(5_000), tail: late });
    const report = await readReport(raw, { keys, envelopeRecipient: verp, maxBytes: 64 * 1024 });
    expect(raw.length).toBeGreaterThan(64 * 1024);
    expect(report).toMatchObject({ kind: 'dsn', truncated: true, linkedBy: 'verp', originalMessageId: ourMessageId });
    expect(report.recipients.map((r) => [r.recipient, r.class])).toEqual([['ann@example.net', 'hard']]);
    expect((await readReport(raw, { maxBytes: 4 * 1024 * 1024 })).recipients.map((r) => r.recipient)).toEqual(['ann@example.net', 'late@example.net']);
  });
});

describe('readReport on hostile text', () => {
  it.each([
    ['a long run of address characters', 'a'.repeat(60_000)],
    ['a long line of blanks', ' '.repeat(60_000)],
    ['a long line of at signs', '@'.repeat(60_000)],
    ['many dotted labels', `a@${'b.'.repeat(30_000)}`],
  ])('reads a prose bounce holding %s in well under a second', async (_name, line) => {
    const raw = crlf(
      `From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\nContent-Type: text/plain\n\nThe following address failed:\n${line}\nann@example.net: 550 5.1.1 User unknown`,
    );
    const started = performance.now();
    const report = await readReport(raw);
    // A pattern that backtracks over such a line took seconds on it.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(report.kind).toBe('nonstandard-bounce');
    expect(report.recipients).toContainEqual(expect.objectContaining({ recipient: 'ann@example.net', status: '5.1.1', class: 'hard' }));
  });
});

describe('hard or soft', () => {
  it.each([
    ['5.1.1', 'smtp; 550 5.1.1 User unknown', false, 'userunknown', 'hard'],
    ['5.1.2', 'Host or domain name not found', false, 'hostunknown', 'hard'],
    ['5.1.6', 'recipient no longer on server', false, 'hasmoved', 'hard'],
    ['5.1.10', null, false, 'notaccept', 'hard'],
    ['4.1.10', null, false, 'notaccept', 'soft'],
    ['5.2.2', 'Mailbox full', false, 'mailboxfull', 'soft'],
    ['5.7.1', 'Recipient address rejected: blocked using zen.spamhaus.org', false, 'spamdetected', 'soft'],
    ['5.7.1', 'Message rejected due to local policy', false, 'policyviolation', 'soft'],
    ['4.7.0', 'Too many connections, slow down', false, 'toomanyconn', 'soft'],
    ['5.1.1', 'User unknown', true, 'userunknown', 'soft'],
    ['5.0.0', 'Requested action not taken', false, 'undefined', 'soft'],
  ] as const)('%s %s (delay: %s) is %s, %s', (status, diagnostic, temporary, reason, cls) => {
    expect(classify(status, diagnostic, temporary)).toEqual({ reason, class: cls });
  });
});
