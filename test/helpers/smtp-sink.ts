import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { atEnd } from './cleanup.js';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SinkOptions {
  /** Decide per recipient: return a code and text to refuse it (e.g. [451, '4.3.0 try later']). */
  onRcpt?: (address: string, session: SMTPServerSession) => [number, string] | null;
  /** Listen on this port (a relay that comes back where it was); default: a free one. */
  port?: number;
  /** Each message's data is kept, and answered, once this resolves (default: at once). */
  hold?: () => Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that keeps what it is sent (the outbound side of tests). */
export async function startSink(opts: SinkOptions = {}): Promise<{ port: number; messages: SunkMessage[]; close(): Promise<void> }> {
  const messages: SunkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, session, cb) {
      const refusal = opts.onRcpt?.(address.address, session);
      if (refusal) {
        const err = new Error(refusal[1]) as Error & { responseCode: number };
        err.responseCode = refusal[0];
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        await opts.hold?.();
        messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        cb(null, 'Ok: queued');
      });
    },
  });
  // smtp-server re-emits every connection's socket error (ECONNRESET from a sender that died
  // mid-session) on the server; unheard, that 'error' event would crash the test worker.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const close = () => new Promise<void>((r) => server.close(() => r()));
  atEnd(close);
  return { port, messages, close };
}
