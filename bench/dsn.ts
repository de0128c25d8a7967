import fs from 'node:fs';
import path from 'node:path';
import type { SentConversation } from './inbound-lib.js';

// bench:inbound --bounces: the delivery status notifications a customer's MX sends back to the
// return path of a message it could not deliver, as Postfix writes them (RFC 3464).

export interface BouncedMessage {
  customer: string;
  subject: string;
  /** Our Message-ID, with its angle brackets. */
  messageId: string;
  /** The envelope sender the message went out with: `bounces+TOKEN@SENDER_DOMAIN`. */
  returnPath: string;
  /** The From of the message that bounced. */
  from: string;
}

/**
 * A `multipart/report; report-type=delivery-status` of about `bytes` bytes (headers included):
 * a human-readable part, the message/delivery-status part (Final-Recipient, Action failed,
 * Status 5.1.1, Diagnostic-Code) and the returned headers naming our Message-ID. Lines end in
 * LF: smtp-source -F sends each line with CRLF.
 */
export function dsnEml(m: BouncedMessage, dsnMessageId: string, bytes: number, date = new Date()): string {
  const when = date.toUTCString().replace('GMT', '+0000');
  const boundary = `${dsnMessageId.split('@')[0]}/mx.example.net`;
  const head = [
    'From: MAIL-DAEMON@mx.example.net (Mail Delivery System)',
    `To: ${m.returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${when}`,
    `Message-ID: <${dsnMessageId}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    'Content-Transfer-Encoding: 7bit',
  ].join('\n');
  const notice = [
    'This is the mail system at host mx.example.net.',
    '',
    "I'm sorry to have to inform you that your message could not be delivered.",
    '',
    '                   The mail system',
    '',
    `<${m.customer}>: host mx.example.net[192.0.2.25] said: 550 5.1.1 <${m.customer}>:`,
    '    Recipient address rejected: User unknown in local recipient table (in reply',
    '    to RCPT TO command)',
  ].join('\n');
  const status = [
    'Reporting-MTA: dns; mx.example.net',
    `Arrival-Date: ${when}`,
    '',
    `Final-Recipient: rfc822; ${m.customer}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.net',
    `Diagnostic-Code: smtp; 550 5.1.1 <${m.customer}>: Recipient address rejected: User unknown in local recipient table`,
  ].join('\n');
  const returned = [
    `Return-Path: <${m.returnPath}>`,
    `From: Example Shop <${m.from}>`,
    `To: Pat Customer <${m.customer}>`,
    `Subject: ${m.subject}`,
    `Date: ${when}`,
    `Message-ID: ${m.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
  ];
  const part = (type: string, body: string) => `--${boundary}\nContent-Type: ${type}\n\n${body}\n\n`;
  const parts = (pad: string) =>
    `${head}\n\nThis is a MIME-encapsulated message.\n\n${part('text/plain; charset=us-ascii', notice + pad)}${part('message/delivery-status', status)}${part('text/rfc822-headers', returned.join('\n'))}--${boundary}--\n`;
  // The notice grows to the size asked, as a longer explanation from the receiving system would.
  const line = '    The recipient address is not known here; check it for typing errors.\n';
  let pad = '\n';
  while (parts(pad).length + line.length <= bytes) pad += line;
  return parts(pad);
}

/**
 * One DSN file per sent message, each sent `perFile` times to that message's return path (no
 * -N: a number before a signed address breaks it), in the same counts as the reply files.
 */
export function writeBounceFiles(
  dir: string,
  label: string,
  convs: SentConversation[],
  total: number,
  bytes: number,
  message: (c: SentConversation) => { returnPath: string; from: string },
): Array<{ file: string; count: number; rcpt: string }> {
  const perFile = Math.ceil(total / convs.length);
  return convs
    .map((c, i) => {
      const file = path.join(dir, `${label}-bounce-${i}.eml`);
      const { returnPath, from } = message(c);
      fs.writeFileSync(
        file,
        dsnEml({ customer: c.customer, subject: c.subject, messageId: c.messageId, returnPath, from }, `bench-dsn-${label}-${i}.${Date.now().toString(36)}@mx.example.net`, bytes),
      );
      return { file, count: Math.max(0, Math.min(perFile, total - i * perFile)), rcpt: returnPath };
    })
    .filter((f) => f.count > 0);
}
