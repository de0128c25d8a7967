import { type AddressInfo, Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { SmtpPool } from '../../src/delivery/smtp-pool.js';

// The delivery pool against a real smtp-server on loopback: sessions reused and bounded,
// AUTH, a refused recipient that leaves the session usable, a server that drops an idle
// session, a server that is not there, and closing.

interface Server {
  port: number;
  received: string[];
  connections: number;
  sockets: Set<Socket>;
  /** Resolves once the server holds no connection (each socket's own close event). */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(opts: Partial<SMTPServerOptions> = {}): Promise<Server> {
  const s: Server = {
    port: 0,
    received: [],
    connections: 0,
    sockets: new Set(),
    // A socket leaves the set on its close event, so every one still in it is yet to close.
    allClosed: async () => {
      await Promise.all([...s.sockets].map((sock) => new Promise((r) => sock.once('close', r))));
    },
    close: async () => {},
  };
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, cb) {
      s.connections++;
      cb();
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        s.received.push(Buffer.concat(chunks).toString());
        cb(null, `Ok: queued as ${s.received.length}`);
      });
    },
    ...opts,
  });
  smtp.on('error', () => {});
  smtp.server.on('connection', (sock: Socket) => {
    s.sockets.add(sock);
    sock.on('close', () => s.sockets.delete(sock));
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  s.port = (smtp.server.address() as AddressInfo).port;
  s.close = () => new Promise<void>((r) => smtp.close(() => r()));
  cleanup.push(s.close);
  return s;
}

function pool(port: number, extra: Partial<ConstructorParameters<typeof SmtpPool>[0]> = {}) {
  const p = new SmtpPool({ host: '127.0.0.1', port, name: 'threadline.test', maxConnections: 3, ...extra });
  cleanup.push(() => p.close());
  return p;
}

const message = (n: number) => Buffer.from(`From: a@example.com\r\nTo: b@example.com\r\nSubject: ${n}\r\n\r\nbody ${n}\r\n.leading dot\r\n`);
const envelope = { from: 'a@example.com', to: ['b@example.com'] };

// Real sockets and a real server: generous time on a loaded machine (the CI runs suites in parallel).
describe('SmtpPool', { timeout: 30_000 }, () => {
  it('delivers every message over at most maxConnections sessions, reusing them, dot-stuffing intact', async () => {
    const s = await server();
    const p = pool(s.port);
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => p.send(envelope, message(i))));
    expect(replies.every((r) => /^250 /.test(r))).toBe(true);
    expect(s.received).toHaveLength(60);
    expect(s.received.some((m) => m.includes('\r\n.leading dot\r\n'))).toBe(true);
    expect(s.connections).toBeLessThanOrEqual(3);
    await p.send(envelope, message(61));
    expect(s.connections).toBeLessThanOrEqual(3);
  });

  it('hands each message and its final dot to the socket as one write', async () => {
    // SMTPConnection writes them apart when given a Buffer: two system calls and two segments.
    const s = await server();
    const p = pool(s.port);
    const writes: string[] = [];
    const { _writev, _write } = Socket.prototype;
    const writev = vi.spyOn(Socket.prototype, '_writev').mockImplementation(function (this: Socket, chunks, cb) {
      writes.push(chunks.map((c) => c.chunk.toString()).join(''));
      return _writev!.call(this, chunks, cb);
    });
    const write = vi.spyOn(Socket.prototype, '_write').mockImplementation(function (this: Socket, chunk, encoding, cb) {
      writes.push(String(chunk));
      return _write.call(this, chunk, encoding, cb);
    });
    onTestFinished(() => {
      writev.mockRestore();
      write.mockRestore();
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.send(envelope, message(i))));
    const messages = writes.filter((w) => w.includes('Subject: '));
    expect(messages).toHaveLength(10);
    for (const m of messages) expect(m).toMatch(/^From: a@example\.com\r\n[\s\S]*\r\n\.\.leading dot\r\n\.\r\n$/);
    expect(s.received).toHaveLength(10);
  });

  it('hands every session its own envelope: SMTPConnection writes its transaction state onto it', async () => {
    // The cause of "all recipients were rejected: 354": with one envelope object shared by two
    // sessions, one session's MAIL FROM cleared the other's accepted recipients between that
    // session's RCPT and DATA replies, and its message went out empty.
    const s = await server();
    const p = pool(s.port);
    const send = vi.spyOn(SMTPConnection.prototype, 'send');
    onTestFinished(() => send.mockRestore());
    await Promise.all(Array.from({ length: 30 }, (_, i) => p.send(envelope, message(i))));
    const given = send.mock.calls.map((c) => c[0]);
    expect(given).toHaveLength(30);
    expect(new Set(given).size).toBe(30);
    expect(given).not.toContain(envelope);
    expect(envelope).toEqual({ from: 'a@example.com', to: ['b@example.com'] });
    expect(s.received.every((m) => /^From: a@example\.com/.test(m))).toBe(true);
  });

  it('logs in when the server offers AUTH, and a wrong password fails with EAUTH', async () => {
    const s = await server({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'relay-user' && auth.password === 'relay-pass') return cb(null, { user: auth.username });
        cb(new Error('Invalid username or password'));
      },
    });
    expect(await pool(s.port, { auth: { user: 'relay-user', pass: 'relay-pass' } }).send(envelope, message(1))).toMatch(/^250 /);
    await expect(pool(s.port, { auth: { user: 'relay-user', pass: 'wrong' } }).send(envelope, message(2))).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(s.received).toHaveLength(1);
  });

  it('a refused recipient rejects that message only; the session stays and takes the next one', async () => {
    const s = await server({
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith('nobody@')) return cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
        cb();
      },
    });
    const p = pool(s.port, { maxConnections: 1 });
    await p.send(envelope, message(0));
    await expect(p.send({ from: 'a@example.com', to: ['nobody@example.com'] }, message(1))).rejects.toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    expect(await p.send(envelope, message(2))).toMatch(/^250 /);
    expect(s.received).toHaveLength(2);
    expect(s.connections).toBe(1);
  });

  it('sends again on a new session when the server had closed the idle one', async () => {
    const s = await server();
    const p = pool(s.port, { maxConnections: 1 });
    await p.send(envelope, message(0));
    const gone = s.allClosed();
    for (const sock of s.sockets) sock.destroy();
    await gone;
    expect(await p.send(envelope, message(1))).toMatch(/^250 /);
    expect(s.received).toHaveLength(2);
    expect(s.connections).toBe(2);
  });

  it('rejects with the socket error when nothing listens, and closes idle sessions after idleMs', async () => {
    const closed = await server();
    await closed.close();
    await expect(pool(closed.port, { connectionTimeout: 2_000 }).send(envelope, message(0))).rejects.toMatchObject({ code: 'ESOCKET', message: expect.stringContaining('ECONNREFUSED') });

    const s = await server();
    const p = pool(s.port, { idleMs: 50 });
    await p.send(envelope, message(1));
    expect(s.sockets.size).toBe(1);
    // Nothing else is sent: only the pool's idle timer can end this session.
    await s.allClosed();
    expect(s.sockets.size).toBe(0);
  });

  it('after close(), waiting and new sends are refused with ESTOPPING', async () => {
    let inData!: () => void;
    const dataStarted = new Promise<void>((r) => (inData = r));
    const s = await server({
      onData(stream, _session, cb) {
        stream.resume();
        // The reply waits until the test has closed the pool, so the first message is surely
        // on the wire when close() runs.
        stream.on('end', () => {
          inData();
          setImmediate(() => cb(null, 'Ok'));
        });
      },
    });
    const p = pool(s.port, { maxConnections: 1 });
    const first = p.send(envelope, message(0));
    const waiting = p.send(envelope, message(1));
    await dataStarted;
    p.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ESTOPPING' });
    expect(await first).toMatch(/^250 /);
    await expect(p.send(envelope, message(2))).rejects.toMatchObject({ code: 'ESTOPPING' });
  });
});
