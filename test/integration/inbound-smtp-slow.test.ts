import fs from 'node:fs';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { deliver, smtpSession, withHeaders } from '../helpers/smtp-client.js';

// Slow and greedy clients against the inbound SMTP server's defaults (per-address cap,
// connection limit, minimum DATA rate), with only the command timeout shortened for the test.

let svc: TestService;
let port: number;
const TIMEOUT_MS = 1000;
beforeAll(async () => {
  svc = await startService({ THREADLINE_SMTP_COMMAND_TIMEOUT: `${TIMEOUT_MS / 1000}s` });
  port = svc.running.smtpPort;
});

const gmail = () => fs.readFileSync('fixtures/replies/talon__gmail.eml');

/** A raw connection that records everything the server says and when the server closed it. */
async function connect(localAddress = '127.0.0.1') {
  // Before the server can start any clock of this connection.
  const openedAt = Date.now();
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  let said = '';
  let closedAt: number | null = null;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (said += chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  const greeting = await waitFor(() => (said.includes('\r\n') ? said.slice(0, said.indexOf('\r\n')) : undefined), 10_000, 'the greeting');
  return {
    socket,
    greeting,
    openedAt,
    said: () => said,
    closedAt: () => closedAt,
    /** Writes one byte of `text` every `everyMs`, never the end of the line; returns a stop function. */
    dribble(text: string, everyMs: number) {
      let i = 0;
      const t = setInterval(() => socket.writable && socket.write(text[i++ % text.length]!), everyMs);
      return () => clearInterval(t);
    },
    async reply(line: string) {
      const before = said.length;
      socket.write(`${line}\r\n`);
      return waitFor(() => /^\d{3} .*\r\n/m.exec(said.slice(before))?.[0].trim(), 10_000, `the reply to ${line}`);
    },
  };
}

describe('slow clients', () => {
  it('closes clients that dribble bytes without completing a command, while others are served', async () => {
    // 300 connections, 50 (the per-address default) from each of six addresses.
    // Each starts dribbling once greeted, so no byte-idle timeout can end it first.
    const slow = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const c = await connect(`127.0.0.${10 + (i % 6)}`);
        return { ...c, stop: c.dribble('EHLO slow.example.com', 200) };
      }),
    );
    try {
      for (const c of slow) expect(c.greeting).toMatch(/^220 /);
      // Meanwhile a sending server delivers as usual.
      const raw = withHeaders(gmail(), { 'Message-Id': '<while-slow@example.com>' });
      expect(await deliver(port, { from: 'sender@example.com', to: ['support@replies.localhost'], raw, localAddress: '127.0.0.29' })).toMatch(/^250 /);
      await waitFor(() => (slow.every((c) => c.closedAt() !== null) ? true : undefined), 15_000, 'every slow client to be closed');
    } finally {
      for (const c of slow) c.stop();
    }
    for (const c of slow) {
      expect(c.said()).toMatch(/^421 4\.4\.2 Timeout: no complete command in 1 s/m);
      // Not before the timeout, though a byte arrived every 200 ms.
      expect(c.closedAt()! - c.openedAt).toBeGreaterThanOrEqual(TIMEOUT_MS);
    }
  });

  it('keeps a client that completes each command within the timeout', async () => {
    const c = await connect('127.0.0.31');
    try {
      const until = Date.now() + 3 * TIMEOUT_MS;
      while (Date.now() < until) {
        expect(await c.reply('NOOP')).toMatch(/^250 /);
        await new Promise((r) => setTimeout(r, TIMEOUT_MS / 4));
      }
      expect(c.closedAt()).toBeNull();
    } finally {
      c.socket.destroy();
    }
  });

  it('closes a client whose message arrives slower than the minimum rate', async () => {
    const c = await connect('127.0.0.32');
    try {
      await c.reply('EHLO slow.example.com');
      await c.reply('MAIL FROM:<sender@example.com>');
      expect(await c.reply('RCPT TO:<support@replies.localhost>')).toMatch(/^250 /);
      const started = Date.now();
      expect(await c.reply('DATA')).toMatch(/^354 /);
      // A complete line of the message every 200 ms: 60 bytes/s, under the 500 bytes/s minimum.
      const t = setInterval(() => c.socket.write('slow line\r\n'), 200);
      try {
        await waitFor(() => c.closedAt() ?? undefined, 15_000, 'the slow message to be cut off');
      } finally {
        clearInterval(t);
      }
      expect(c.said()).toMatch(/^421 4\.4\.2 Timeout: the message arrives slower than 500 bytes\/s/m);
      expect(c.closedAt()! - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    } finally {
      c.socket.destroy();
    }
  });
});

describe('connections per client address', () => {
  it('refuses the connection past the cap with 421 4.7.0, and no other address is affected', async () => {
    const held = await Promise.all(Array.from({ length: 50 }, () => smtpSession(port, '127.0.0.1', '127.0.0.40')));
    try {
      for (const s of held) expect(s.greeting).toMatch(/^220 /);
      const extra = await connect('127.0.0.40');
      expect(extra.greeting).toMatch(/^421 4\.7\.0 Too many connections from 127\.0\.0\.40/);
      await waitFor(() => extra.closedAt() ?? undefined, 5000, 'the refused connection to be closed');
      // Another address is served as usual.
      const raw = withHeaders(gmail(), { 'Message-Id': '<other-address@example.com>' });
      expect(await deliver(port, { from: 'sender@example.com', to: ['support@replies.localhost'], raw, localAddress: '127.0.0.41' })).toMatch(/^250 /);
      // A slot given back can be taken again.
      held.pop()!.close();
      const again = await waitFor(
        async () => {
          const s = await smtpSession(port, '127.0.0.1', '127.0.0.40');
          if (s.greeting.startsWith('220')) return s;
          s.close();
          return undefined;
        },
        5000,
        'a freed slot',
      );
      held.push(again);
    } finally {
      for (const s of held) s.close();
    }
  });
});
