import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService, tempDir, waitFor } from '../helpers/service.js';
import { smtpSession } from '../helpers/smtp-client.js';

// STARTTLS with a configured certificate, and the connection limit.

let svc: TestService;
beforeAll(async () => {
  const dir = tempDir();
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=replies.localhost'], { stdio: 'ignore' });
  svc = await startService({ THREADLINE_SMTP_TLS_KEY: key, THREADLINE_SMTP_TLS_CERT: cert, THREADLINE_SMTP_MAX_CONNECTIONS: '2', THREADLINE_SMTP_COMMAND_TIMEOUT: '1s' });
});

/** EHLO, STARTTLS and the handshake, as a sending MTA does them. */
function starttls(): Promise<tls.TLSSocket> {
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const raw = net.connect(svc.running.smtpPort, '127.0.0.1');
    let stage = 0;
    raw.setEncoding('latin1');
    raw.on('data', (d: string) => {
      if (stage === 0 && d.startsWith('220')) {
        stage = 1;
        raw.write('EHLO mx.example.com\r\n');
      } else if (stage === 1 && /^250 /m.test(d)) {
        stage = 2;
        raw.write('STARTTLS\r\n');
      } else if (stage === 2 && d.startsWith('220')) {
        stage = 3;
        raw.removeAllListeners('data');
        const t = tls.connect({ socket: raw, servername: 'replies.localhost', rejectUnauthorized: false }, () => resolve(t));
        t.on('error', reject);
      }
    });
    raw.on('error', reject);
  });
}

/** A TLS session's replies, one command at a time. */
function session(socket: tls.TLSSocket) {
  let said = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (said += d));
  return {
    said: () => said,
    async cmd(line: string) {
      const before = said.length;
      socket.write(`${line}\r\n`);
      return waitFor(() => /^\d{3} .*\r\n/m.exec(said.slice(before))?.[0].trim(), 5000, `the reply to ${line}`);
    },
  };
}

describe('inbound SMTP transport', () => {
  it('offers STARTTLS with the configured certificate', async () => {
    const s = await smtpSession(svc.running.smtpPort);
    try {
      expect(await s.cmd('EHLO mx.example.com')).toMatch(/^250[- ]STARTTLS$/m);
      expect(await s.cmd('STARTTLS')).toMatch(/^220/);
    } finally {
      s.close();
    }
    const socket = await starttls();
    expect(socket.getPeerCertificate().subject.CN).toBe('replies.localhost');
    expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    socket.destroy();
  });

  it('reads the commands inside TLS: source routes are refused, a dribbling client is timed out', async () => {
    const socket = await starttls();
    try {
      const s = session(socket);
      await s.cmd('EHLO mx.example.com');
      await s.cmd('MAIL FROM:<sender@example.com>');
      expect(await s.cmd('RCPT TO:<@other.example:user@replies.localhost>')).toMatch(/^550 5\.7\.1 /);
      expect(await s.cmd('RCPT TO:<user@replies.localhost>')).toMatch(/^250 /);
      let closed = false;
      socket.on('close', () => (closed = true));
      const t = setInterval(() => socket.write('N'), 200);
      try {
        await waitFor(() => (closed ? true : undefined), 10_000, 'the dribbling TLS client to be closed');
      } finally {
        clearInterval(t);
      }
      expect(s.said()).toMatch(/^421 4\.4\.2 Timeout/m);
    } finally {
      socket.destroy();
    }
  });

  it('refuses connections past the limit with a temporary 421', async () => {
    const a = await smtpSession(svc.running.smtpPort);
    const b = await smtpSession(svc.running.smtpPort);
    try {
      const c = await smtpSession(svc.running.smtpPort);
      expect(c.greeting).toMatch(/^421/);
      c.close();
    } finally {
      a.close();
      b.close();
    }
  });
});
