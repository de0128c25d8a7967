import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { databaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import { leftGarbage } from '../threads/large-garbage.js';
import { setGreetingDelay } from './greeting-delay.js';
import type { InboundService } from './inbound.service.js';
import { createSmtpGuard, type GuardOptions } from './smtp-guard.js';
import { type Spooled, spool, unspool } from './spool.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** Largest message accepted, in bytes (advertised in EHLO, enforced while streaming). */
  maxBytes: number;
  /** Where DATA is written while the message is examined and stored (spool.ts). */
  spoolDir: string;
  maxRecipients: number;
  maxClients: number;
  /** Slow and greedy clients: connections per address, the command timeout, the minimum DATA rate. */
  guard: GuardOptions;
  reverseLookup: boolean;
  /** Milliseconds before the greeting; a client that speaks sooner is an early talker, refused with 421. */
  greetingDelayMs: number;
  tls: { key: Buffer; cert: Buffer } | null;
  /** Name in the greeting and in Received headers. */
  hostname: string;
}

/** An SMTP refusal with its reply code: smtp-server turns an error without one into a 550. */
function reply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

// Local parts that route mail onwards (`user%host@`, `host!user@`), quoted local parts and
// source routes are relay tricks; none of them is an address we hand out. smtp-server strips
// a source route (`<@relay:user@domain>`) before the address reaches us: the guard notes it.
const RELAY_TRICK = /[%!"\\:,]|^@|\[/;

export interface RunningSmtp {
  server: SMTPServer;
  port: number;
  close(): Promise<void>;
}

export async function startSmtp(opts: SmtpOptions, inbound: InboundService, log: Logger, metrics: Metrics): Promise<RunningSmtp> {
  const domain = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  // Every refusal and every stored message is one info line an operator can follow: ids,
  // domains and the SMTP code, never local parts or bodies.
  const refuse = (code: number, message: string, session?: SMTPServerSession, rcpt?: string) => {
    metrics.smtpRejectionsTotal.inc({ code: String(code) });
    log.info({ session: session?.id, remoteAddress: session?.remoteAddress, ...(rcpt ? { recipientDomain: domain(rcpt) } : {}), code, reason: message }, 'inbound refused');
    return reply(code, message);
  };

  const server = new SMTPServer({
    name: opts.hostname,
    // smtp-server writes "<name> ESMTP <banner>": the banner only names the software.
    banner: 'threadline',
    size: opts.maxBytes,
    maxClients: opts.maxClients,
    // Idle time with no byte at all; the guard's command timeout is the one that counts progress.
    socketTimeout: opts.guard.commandTimeoutMs,
    disableReverseLookup: !opts.reverseLookup,
    authOptional: true,
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,

    onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const refused = guard.admit(session);
      if (refused) metrics.smtpRejectionsTotal.inc({ code: '421' });
      cb(refused);
    },
    onSecure(socket: Socket, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      guard.secured(session, socket);
      cb();
    },
    onClose(session: SMTPServerSession) {
      guard.closed(session);
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const rcpt = address.address;
      if (session.envelope.rcptTo.length >= opts.maxRecipients) {
        return cb(refuse(452, `4.5.3 Too many recipients: at most ${opts.maxRecipients} per message`, session, rcpt));
      }
      const at = rcpt.lastIndexOf('@');
      if (at <= 0 || RELAY_TRICK.test(rcpt.slice(0, at)) || RELAY_TRICK.test(rcpt.slice(at + 1)) || guard.sourceRouted(session, rcpt)) {
        return cb(refuse(550, '5.7.1 Relaying denied', session, rcpt));
      }
      guard.hold(session);
      const answer = (err: Error | null) => {
        guard.release(session);
        cb(err);
      };
      inbound.recipient(rcpt).then(
        (verdict) =>
          answer(
            verdict === 'accept'
              ? null
              : verdict === 'unknown-user'
                ? refuse(550, '5.1.1 No such user here', session, rcpt)
                : refuse(550, '5.7.1 Relaying denied: we do not accept mail for this domain', session, rcpt),
          ),
        (err) => {
          log.error({ err }, 'recipient lookup failed');
          // Our fault, so a temporary code: the sender retries rather than bouncing the reply.
          answer(refuse(451, '4.3.0 Temporary failure, please try again later', session, rcpt));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void) {
      guard.data(session, stream);
      const cb = (err: Error | null, message?: string) => {
        guard.release(session);
        done(err, message);
      };
      const started = performance.now();
      // DATA stays in memory while it is small, else goes to a spool file (spool.ts); it is kept
      // only up to the size limit.
      let spooled: Spooled | null = null;
      spool(opts.spoolDir, stream, opts.maxBytes)
        .then((s) => {
          spooled = s?.spool ?? null;
          if (!s || stream.sizeExceeded) return null;
          return inbound.receive({
            ...s,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients: session.envelope.rcptTo.map((r) => r.address),
            remoteAddress: session.remoteAddress,
            helo: session.hostNameAppearsAs || null,
          });
        })
        .finally(() => {
          if (!spooled) return;
          // The pieces this thread read and stored of a large message are garbage now.
          leftGarbage(spooled.size);
          return unspool(spooled);
        })
        .then(
          (stored) => {
            // 552, not 452: a message this size will never fit, so retrying is pointless (RFC 5321 §4.5.3.1.10).
            if (!stored) return cb(refuse(552, `5.3.4 Message too big: at most ${opts.maxBytes} bytes`, session));
            metrics.inboundSeconds.observe((performance.now() - started) / 1000);
            const senderDomain = session.envelope.mailFrom ? domain(session.envelope.mailFrom.address) : '';
            for (const s of stored) {
              log.info(
                { session: session.id, orgId: s.orgId, messageId: s.messageId, conversationId: s.conversationId, senderDomain, kind: s.kind, outcome: s.outcome, workItem: s.workItem },
                `inbound ${['threaded', 'quarantined', 'duplicate'].includes(s.outcome) ? s.outcome : 'new conversation'}`,
              );
            }
            const ids = stored.map((s) => s.messageId).join(',');
            cb(null, `2.0.0 Ok: stored ${ids}`);
          },
          (err) => {
            const cause = databaseUnavailable(err);
            // A temporary condition of ours (logged where it starts and ends): the sender keeps
            // the message and tries again. 4.3.1 is RFC 3463's "mail system full".
            if (cause) log.warn({ err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, session: session.id }, `inbound message refused: ${cause}`);
            else log.error({ err, session: session.id }, 'storing an inbound message failed');
            cb(refuse(451, cause === 'disk full' ? '4.3.1 Mail system full, please try again later' : '4.3.0 Temporary failure storing the message, please try again later', session));
          },
        );
    },
  });
  const guard = createSmtpGuard(opts.guard, {
    listener: server.server,
    expire(session, message) {
      metrics.smtpRejectionsTotal.inc({ code: '421' });
      // A 421 closes the connection (smtp-server's send()).
      for (const c of server.connections) if (c.session === session) c.send(421, message);
    },
    log,
  });
  setGreetingDelay(server, opts.greetingDelayMs);
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
