// A delivery status notification (RFC 3464) as a receiving MTA sends one to a return path: a
// hard bounce of `recipient`, quoting the headers of the message it names.

export function dsn(o: { to: string; recipient: string; status: string; diagnostic: string; original: string }) {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
    `To: ${o.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${Math.random().toString(36).slice(2)}@mx.example.net>`,
    'Date: Tue, 01 Dec 2026 12:01:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Final-Recipient: rfc822; ${o.recipient}`,
    'Action: failed',
    `Status: ${o.status}`,
    'Remote-MTA: dns; mail.example.com',
    `Diagnostic-Code: smtp; ${o.diagnostic}`,
    '',
    '--b1',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${o.original}`,
    `To: ${o.recipient}`,
    'Subject: Your order has shipped',
    '',
    '--b1--',
    '',
  ].join('\r\n');
}
