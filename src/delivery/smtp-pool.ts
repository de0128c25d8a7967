import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { isTransientError } from 'nodemailer/lib/errors';
import SMTPConnection, { type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

// A pool of SMTP sessions that sends rendered messages as they are. nodemailer's SMTP pool
// takes a mail object even for a raw message: every send goes through its Mailer, a MIME node
// for the raw bytes, a stream pipeline and an AbortController, CPU that one Buffer does not need.
// Here the message is handed to nodemailer's SMTPConnection as one Buffer; SMTPConnection still
// speaks the protocol (EHLO, STARTTLS, AUTH, dot-stuffing, reply parsing). The session
// handling follows nodemailer's pool resource: a refused message leaves the session usable
// (RSET), anything else closes it, and a reused session that the server had closed in the
// meantime sends its message again on a new one, once.

export interface SmtpPoolOptions extends SMTPConnectionOptions {
  /** Sessions open at most at once. */
  maxConnections: number;
  auth?: { user: string; pass: string };
  /** A session with nothing to send for this long is closed with QUIT. */
  idleMs?: number;
}

export interface SmtpEnvelope {
  from: string;
  to: string[];
}

interface Job {
  envelope: SmtpEnvelope;
  raw: Buffer;
  resolve(response: string): void;
  reject(err: unknown): void;
  /** Already sent again after a closed reused session. */
  retried?: boolean;
}

interface Session {
  smtp: SMTPConnection;
  ready: boolean;
  busy: boolean;
  messages: number;
  idle?: NodeJS.Timeout;
  /** Set while connecting: SMTPConnection reports connection failures as events, not to connect()'s callback. */
  connecting?: (err: SmtpError | null) => void;
}

type SmtpError = Error & { code?: string; responseCode?: number; command?: string };

/**
 * The message as SMTPConnection takes a stream. Given a Buffer, it writes the message and then,
 * as a write of its own, the final ".": two system calls and two TCP segments a message, and
 * two reads for the server. Piped from here, both go out while the socket is corked: one write.
 * SMTPConnection listens for 'error' on it and destroys it when the session ends early.
 */
class OneWrite extends EventEmitter {
  constructor(
    private readonly smtp: SMTPConnection,
    private readonly raw: Buffer,
  ) {
    super();
  }

  pipe(data: Writable): Writable {
    // Read now: after STARTTLS the session writes through the TLS socket.
    const socket = this.smtp._socket;
    if (!socket) return data.end(this.raw);
    socket.cork();
    try {
      data.end(this.raw);
    } finally {
      socket.uncork();
    }
    return data;
  }

  destroy(): void {}
}

export class SmtpPool {
  private readonly sessions = new Set<Session>();
  private readonly free: Session[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly o: SmtpPoolOptions) {}

  /** Resolves with the server's reply to the message; rejects with SMTPConnection's error. */
  send(envelope: SmtpEnvelope, raw: Buffer): Promise<string> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the SMTP pool is closed'), { code: 'ESTOPPING' }));
    return new Promise((resolve, reject) => {
      this.queue.push({ envelope, raw, resolve, reject });
      this.pump();
    });
  }

  /** Ends every session (QUIT when idle) and refuses what still waits. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(Object.assign(new Error('the SMTP pool is closed'), { code: 'ESTOPPING' }));
    for (const s of [...this.sessions]) {
      if (s.busy) continue; // ends once its message is answered
      this.drop(s, true);
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const s = this.free.pop() ?? (this.sessions.size < this.o.maxConnections ? this.open() : null);
      if (!s) return;
      this.run(s, this.queue.shift()!);
    }
  }

  private open(): Session {
    const smtp = new SMTPConnection(this.o);
    const s: Session = { smtp, ready: false, busy: false, messages: 0 };
    this.sessions.add(s);
    // A session that fails while idle (the server's idle timeout, mostly) is simply dropped;
    // one that fails while sending reports it through the send's callback.
    smtp.on('error', (err: SmtpError) => {
      if (s.connecting) s.connecting(err);
      else if (!s.busy) this.drop(s);
    });
    smtp.once('end', () => {
      s.connecting?.(Object.assign(new Error('the server closed the connection before the session was ready'), { code: 'ECONNECTION', command: 'CONN' }));
      this.drop(s);
    });
    return s;
  }

  private connect(s: Session, done: (err: SmtpError | null) => void): void {
    const finish = (err: SmtpError | null) => {
      if (!s.connecting) return;
      s.connecting = undefined;
      s.ready = !err;
      done(err);
    };
    s.connecting = finish;
    s.smtp.connect((err) => {
      if (err) return finish(err as SmtpError);
      if (!this.o.auth || !s.smtp.allowsAuth) return finish(null);
      s.smtp.login({ credentials: { user: this.o.auth.user, pass: this.o.auth.pass } }, (loginErr) => finish((loginErr as SmtpError | null) ?? null));
    });
  }

  private run(s: Session, job: Job): void {
    s.busy = true;
    if (s.idle) clearTimeout(s.idle);
    if (!s.ready) {
      this.connect(s, (err) => {
        if (!err) return this.transmit(s, job);
        s.busy = false;
        this.drop(s);
        job.reject(err);
      });
      return;
    }
    this.transmit(s, job);
  }

  private transmit(s: Session, job: Job): void {
    const reused = s.messages > 0;
    // A copy for every send: SMTPConnection keeps the object it is given as its transaction
    // state and writes the replies onto it (accepted, rejected). One envelope object handed to
    // two sessions at once let one session's MAIL FROM clear the other's accepted recipients
    // between its RCPT and DATA replies, and that message went out empty ("all recipients were
    // rejected: 354").
    const envelope = { from: job.envelope.from, to: [...job.envelope.to] };
    s.smtp.send(envelope, new OneWrite(s.smtp, job.raw) as unknown as Readable, (err, info) => {
      s.messages++;
      s.busy = false;
      if (!err) {
        // Not from inside SMTPConnection's callback: it is still handling the reply that
        // called it, and a next message started right here can desync its replies (seen under
        // load: a RCPT taking DATA's 354). nodemailer's pool waits a turn too.
        setImmediate(() => this.release(s));
        return job.resolve(String(info.response));
      }
      const e = err as SmtpError;
      if (reused && isTransientError(e) && !job.retried && (e.command === 'API' || e.command === 'CONN' || e.command === 'MAIL FROM')) {
        // The server had closed the idle session before a byte of this message went out.
        this.drop(s);
        job.retried = true;
        this.queue.unshift(job);
        return this.pump();
      }
      if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && /^[45]/.test(String(e.responseCode ?? '')) && e.responseCode !== 421 && !this.closed) {
        // The message was refused; the session is fine once reset. (An envelope "error" that
        // carries no 4xx/5xx reply means the replies and commands no longer match up: that
        // session is closed below instead.)
        s.busy = true;
        s.smtp.reset((resetErr) => {
          s.busy = false;
          if (resetErr) this.drop(s);
          else setImmediate(() => this.release(s));
        });
        return job.reject(e);
      }
      this.drop(s);
      job.reject(e);
    });
  }

  private release(s: Session): void {
    if (!this.sessions.has(s)) {
      this.pump();
      return;
    }
    if (this.closed) {
      this.drop(s, true);
      return;
    }
    this.free.push(s);
    if (this.o.idleMs) {
      s.idle = setTimeout(() => {
        const i = this.free.indexOf(s);
        if (i >= 0) this.drop(s, true);
      }, this.o.idleMs);
      s.idle.unref();
    }
    this.pump();
  }

  /** Forgets a session and ends it: QUIT when `polite`, else the socket is closed. */
  private drop(s: Session, polite = false): void {
    if (!this.sessions.delete(s)) return;
    if (s.idle) clearTimeout(s.idle);
    const i = this.free.indexOf(s);
    if (i >= 0) this.free.splice(i, 1);
    if (polite && s.ready) s.smtp.quit();
    else s.smtp.close();
    // A slot opened up for whatever waits.
    if (!this.closed) queueMicrotask(() => this.pump());
  }
}
