import net from 'node:net';

/** A line-level SMTP client for tests that need to say exactly what a sender says. */
export interface SmtpSession {
  greeting: string;
  /** Sends one command and resolves with the whole (possibly multi-line) reply. */
  cmd(line: string): Promise<string>;
  /** DATA, the message (dot-stuffed), and the final dot; resolves with the reply to the dot. */
  data(raw: Buffer | string): Promise<string>;
  close(): void;
}

export async function smtpSession(port: number, host = '127.0.0.1', localAddress?: string): Promise<SmtpSession> {
  // localAddress: another loopback address (127.0.0.2, …) stands for another sending server.
  const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
  let buffer = '';
  let waiting: ((reply: string) => void) | null = null;
  const replies: string[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    // A reply ends with a line "NNN text" (space, not dash, after the code).
    for (;;) {
      const m = /^((?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n)/.exec(buffer);
      if (!m) break;
      buffer = buffer.slice(m[1]!.length);
      const reply = m[1]!.trimEnd();
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(reply);
      } else replies.push(reply);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const queued = replies.shift();
      if (queued !== undefined) return resolve(queued);
      waiting = resolve;
      socket.once('error', reject);
    });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const greeting = await next();
  const cmd = (line: string) => {
    socket.write(`${line}\r\n`);
    return next();
  };
  return {
    greeting,
    cmd,
    async data(raw) {
      const start = await cmd('DATA');
      if (!start.startsWith('354')) return start;
      const text = (typeof raw === 'string' ? raw : raw.toString('latin1')).replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      socket.write(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1');
      socket.write('.\r\n');
      return next();
    },
    close() {
      socket.end('QUIT\r\n');
      socket.destroy();
    },
  };
}

/** One message over one connection, as a mail server would deliver it. */
export async function deliver(port: number, mail: { from: string; to: string[]; raw: Buffer | string; localAddress?: string; helo?: string }): Promise<string> {
  const s = await smtpSession(port, '127.0.0.1', mail.localAddress);
  try {
    await s.cmd(`EHLO ${mail.helo ?? 'client.example.com'}`);
    const mf = await s.cmd(`MAIL FROM:<${mail.from}>`);
    if (!mf.startsWith('250')) return mf;
    for (const to of mail.to) {
      const r = await s.cmd(`RCPT TO:<${to}>`);
      if (!r.startsWith('250')) return r;
    }
    return await s.data(mail.raw);
  } finally {
    s.close();
  }
}

/** The message with some header fields replaced, added or removed; the body untouched. */
export function withHeaders(raw: Buffer | string, set: Record<string, string | null>): string {
  const text = (typeof raw === 'string' ? raw : raw.toString('latin1')).replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split) : '\n\n';
  const lines = head.split('\n');
  const fields: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += `\n${line}`;
    else fields.push(line);
  }
  const names = new Set(Object.keys(set).map((k) => k.toLowerCase()));
  const kept = fields.filter((f) => !names.has(f.slice(0, f.indexOf(':')).trim().toLowerCase()));
  const added = Object.entries(set)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return [...added, ...kept].join('\n') + body;
}
