import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { databaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import type { InboundService } from './inbound.service.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** Largest message accepted, in bytes (advertised in EHLO, enforced while streaming). */
  maxBytes: number;
  maxRecipients: number;
  maxClients: number;
  reverseLookup: boolean;
  tls: { key: Buffer; cert: Buffer } | null;
  /** Name in the greeting and in Received headers. */
  hostname: string;
}

/** An SMTP refusal with its reply code: smtp-server turns an error without one into a 550. */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

// Local parts that route mail onwards (`user%host@`, `host!user@`), quoted local parts and
// source routes are relay tricks; none of them is an address we hand out.
const RELAY_TRICK = /[%!"\\:,]|^@|\[/;

export interface RunningSmtp {
  server: SMTPServer;
  port: number;
  close(): Promise<void>;
}

export async function startSmtp(opts: SmtpOptions, inbound: InboundService, log: Logger, metrics: Metrics): Promise<RunningSmtp> {
  const refuse = (code: number, message: string) => {
    metrics.smtpRejectionsTotal.inc({ code: String(code) });
    return reply(code, message);
  };

  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'threadline ESMTP',
    size: opts.maxBytes,
    maxClients: opts.maxClients,
    disableReverseLookup: !opts.reverseLookup,
    authOptional: true,
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const rcpt = address.address;
      if (session.envelope.rcptTo.length >= opts.maxRecipients) {
        return cb(refuse(452, `4.5.3 Too many recipients: at most ${opts.maxRecipients} per message`));
      }
      const at = rcpt.lastIndexOf('@');
      if (at <= 0 || RELAY_TRICK.test(rcpt.slice(0, at)) || RELAY_TRICK.test(rcpt.slice(at + 1))) {
        return cb(refuse(550, '5.7.1 Relaying denied'));
      }
      inbound.recipientOrg(rcpt).then(
        (org) => cb(org ? null : refuse(550, '5.7.1 Relaying denied: we do not accept mail for this domain')),
        (err) => {
          log.error({ err }, 'recipient lookup failed');
          // Our fault, so a temporary code: the sender retries rather than bouncing the reply.
          cb(refuse(451, '4.3.0 Temporary failure, please try again later'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit keep reading (the client must finish DATA) but stop keeping.
        if (size <= opts.maxBytes) chunks.push(chunk);
      });
      stream.on('error', (err) => cb(refuse(451, `4.3.0 ${err.message}`)));
      stream.on('end', () => {
        // 552, not 452: a message this size will never fit, so retrying is pointless (RFC 5321 §4.5.3.1.10).
        if (stream.sizeExceeded || size > opts.maxBytes) return cb(refuse(552, `5.3.4 Message too big: at most ${opts.maxBytes} bytes`));
        const started = performance.now();
        const raw = Buffer.concat(chunks, size);
        inbound
          .receive({
            raw,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients: session.envelope.rcptTo.map((r) => r.address),
            remoteAddress: session.remoteAddress,
            helo: session.hostNameAppearsAs || null,
          })
          .then(
            (stored) => {
              metrics.inboundSeconds.observe((performance.now() - started) / 1000);
              const ids = stored.map((s) => s.messageId).join(',');
              cb(null, `2.0.0 Ok: stored ${ids}`);
            },
            (err) => {
              const cause = databaseUnavailable(err);
              // A temporary condition of ours (logged where it starts and ends): the sender keeps
              // the message and tries again. 4.3.1 is RFC 3463's "mail system full".
              if (cause) log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, session: session.id }, `inbound message refused: ${cause}`);
              else log.error({ err, session: session.id }, 'storing an inbound message failed');
              cb(refuse(451, cause === 'disk full' ? '4.3.1 Mail system full, please try again later' : '4.3.0 Temporary failure storing the message, please try again later'));
            },
          );
      });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'SMTP connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
