import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/webhooks/address-guard.js';
import { send } from '../../src/webhooks/sender.js';

// The SSRF rule: which addresses a webhook may not reach, and that a delivery checks the address
// it connects to (a name that resolved publicly when saved may point inside later).

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1',
    'not-an-address',
  ])('refuses %s', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['93.184.215.14', '8.8.8.8', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8'])('allows %s', (ip) => expect(isPrivateAddress(ip)).toBe(false));
});

describe('a delivery', () => {
  let server: http.Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const opts = { allowPrivate: false, timeoutMs: 2000, userAgent: 'test' };

  it('does not connect to a private address in the URL', async () => {
    const r = await send(`http://127.0.0.1:${port}/`, {}, '{}', opts, Date.now);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1/);
    expect(hits).toBe(0);
  });

  it('does not connect when a name resolves to a private address at delivery time', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const r = await send(`http://hooks.example.com:${port}/`, {}, '{}', { ...opts, lookup }, Date.now);
    expect(r.error).toMatch(/refused: hooks\.example\.com resolves to 127\.0\.0\.1/);
    expect(hits).toBe(0);
  });

  it('connects to the address it checked when private addresses are allowed', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const r = await send(`http://hooks.example.com:${port}/`, {}, '{}', { ...opts, allowPrivate: true, lookup }, Date.now);
    expect(r).toMatchObject({ status: 200, excerpt: 'ok' });
    expect(hits).toBe(1);
  });
});

describe('an answer', () => {
  it('is read no further than its first KB, however large', async () => {
    let written = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // An endless body: only the sender closing the connection stops it.
      const more = () => {
        while (written < 100 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const r = await send(`http://127.0.0.1:${port}/`, {}, '{}', { allowPrivate: true, timeoutMs: 5000, userAgent: 'test' }, Date.now);
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
    expect(r.status).toBe(500);
    expect(r.excerpt!.length).toBe(1024);
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });
});
