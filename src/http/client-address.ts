import { BlockList, isIP } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/**
 * Finds the address of the client behind a request. A request from one of the trusted proxies
 * (addresses or CIDR ranges) carries the client in X-Forwarded-For, each proxy appending the
 * address it received from: read it from the right, past the proxies we trust, and stop at the
 * first address we do not, since everything left of that is whatever the client chose to send.
 */
export function clientAddressResolver(trustedProxies: string[]): (c: Context) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [ip = '', bits] = entry.split('/');
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) trusted.addAddress(ip, family);
    else trusted.addSubnet(ip, Number(bits), family);
  }
  const isTrusted = (a: string) => {
    const family = isIP(a);
    return family !== 0 && trusted.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (c) => {
    // Outside the Node adapter (app.request() in tests) there is no socket.
    const peer = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress ?? 'unknown';
    if (trustedProxies.length === 0 || !isTrusted(peer)) return peer;
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    let client = peer;
    while (hops.length > 0 && isTrusted(client)) client = hops.pop()!;
    return client;
  };
}
