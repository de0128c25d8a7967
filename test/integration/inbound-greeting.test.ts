import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService, waitFor } from '../helpers/service.js';
import { smtpSession } from '../helpers/smtp-client.js';

// The pause before the 220 greeting (THREADLINE_SMTP_GREETING_DELAY_MS): a client that speaks
// before it is an early talker, as spam software is, and is refused.

let byDefault: TestService;
let slow: TestService;
const SLOW_MS = 600;
beforeAll(async () => {
  [byDefault, slow] = await Promise.all([startService(), startService({ THREADLINE_SMTP_GREETING_DELAY_MS: String(SLOW_MS) })]);
});

describe('the greeting delay', () => {
  it('refuses, with the default, a client that sends EHLO before the greeting', async () => {
    const socket = net.connect({ port: byDefault.running.smtpPort, host: '127.0.0.1' });
    // Written before the connection is even open: it goes out the moment it is.
    socket.write('EHLO early.example.com\r\n');
    let said = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (said += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    await waitFor(() => closed || undefined, 10_000, 'the server to close the connection');
    expect(said).toMatch(/^421 .*You talk too soon\r\n$/);
    expect(said).not.toMatch(/^220/m);
  });

  it('serves, with the default, a client that waits for the greeting', async () => {
    const s = await smtpSession(byDefault.running.smtpPort);
    try {
      expect(s.greeting).toMatch(/^220 /);
      expect(await s.cmd('EHLO mx.example.com')).toMatch(/^250/);
    } finally {
      s.close();
    }
  });

  it('greets no sooner than the delay set', async () => {
    const opened = performance.now();
    const s = await smtpSession(slow.running.smtpPort);
    try {
      // Node may fire a timer a few milliseconds early; smtp-server's own fixed 100 ms is far below.
      expect(performance.now() - opened).toBeGreaterThanOrEqual(SLOW_MS - 50);
      expect(s.greeting).toMatch(/^220 /);
      expect(await s.cmd('EHLO mx.example.com')).toMatch(/^250/);
    } finally {
      s.close();
    }
  });
});
