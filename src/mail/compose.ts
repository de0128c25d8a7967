import MailComposer from 'nodemailer/lib/mail-composer';

export interface OutgoingMail {
  messageIdHeader: string;
  date: Date;
  from: { email: string; name: string | null };
  to: { email: string; name: string | null };
  replyTo: { email: string; name: string | null } | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  inReplyTo?: string | null;
  references?: string[];
}

const addr = (a: { email: string; name: string | null }) => (a.name ? { name: a.name, address: a.email } : a.email);

/** Renders the RFC 5322 message once; every transport sends these bytes as they are. */
export function composeMessage(mail: OutgoingMail): Promise<Buffer> {
  const composer = new MailComposer({
    messageId: `<${mail.messageIdHeader}>`,
    date: mail.date,
    from: addr(mail.from),
    to: addr(mail.to),
    replyTo: mail.replyTo ? addr(mail.replyTo) : undefined,
    subject: mail.subject ?? '',
    text: mail.text ?? undefined,
    html: mail.html ?? undefined,
    inReplyTo: mail.inReplyTo ? `<${mail.inReplyTo}>` : undefined,
    references: mail.references?.map((r) => `<${r}>`),
    // Long lines in bodies are re-encoded (quoted-printable) so no line passes 998 octets.
    textEncoding: 'quoted-printable',
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
