import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from '../../src/http/client-address.js';

/** What the resolver says for a request from `peer` carrying X-Forwarded-For `xff`. */
async function addressFor(trusted: string[], peer: string, xff?: string): Promise<string> {
  const resolve = clientAddressResolver(trusted);
  const app = new Hono().get('/', (c) => c.text(resolve(c)));
  // The Node adapter's bindings, as far as the resolver reads them.
  const env = { incoming: { socket: { remoteAddress: peer } } };
  return (await app.request('/', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }, env)).text();
}

describe('the client address behind a request', () => {
  it.each([
    ['no proxy trusted: the peer, whatever the header says', [], '203.0.113.9', '198.51.100.1', '203.0.113.9'],
    ['a trusted proxy: the client it forwarded', ['10.0.0.0/8'], '10.0.0.5', '203.0.113.9', '203.0.113.9'],
    ['a forged hop left of the real one is ignored', ['10.0.0.0/8'], '10.0.0.5', '198.51.100.1, 203.0.113.9', '203.0.113.9'],
    ['a chain of trusted proxies', ['10.0.0.0/8'], '10.0.0.5', '203.0.113.9, 10.0.0.7', '203.0.113.9'],
    ['an untrusted peer cannot claim another address', ['10.0.0.0/8'], '198.51.100.1', '203.0.113.9', '198.51.100.1'],
    ['an IPv4-mapped peer matches an IPv4 range', ['10.0.0.0/8'], '::ffff:10.0.0.5', '2001:db8::9', '2001:db8::9'],
    ['a trusted proxy that forwarded nothing', ['192.0.2.1'], '192.0.2.1', undefined, '192.0.2.1'],
  ])('%s', async (_, trusted, peer, xff, expected) => {
    expect(await addressFor(trusted, peer, xff)).toBe(expected);
  });
});
