import { BlockList, isIP } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/** Whether an address is one of the trusted proxies (addresses or CIDR ranges). */
function trustedMatcher(trustedProxies: string[]): (address: string) => boolean {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [ip = '', bits] = entry.split('/');
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) trusted.addAddress(ip, family);
    else trusted.addSubnet(ip, Number(bits), family);
  }
  return (a) => {
    const family = isIP(a);
    return trustedProxies.length > 0 && family !== 0 && trusted.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

// Outside the Node adapter (app.request() in tests) there is no socket.
const peerOf = (c: Context) => (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress ?? 'unknown';

/**
 * Finds the address of the client behind a request. A request from one of the trusted proxies
 * carries the client in X-Forwarded-For, each proxy appending the address it received from:
 * read it from the right, past the proxies we trust, and stop at the first address we do not,
 * since everything left of that is whatever the client chose to send.
 */
export function clientAddressResolver(trustedProxies: string[]): (c: Context) => string {
  const isTrusted = trustedMatcher(trustedProxies);
  return (c) => {
    const peer = peerOf(c);
    if (!isTrusted(peer)) return peer;
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    let client = peer;
    while (hops.length > 0 && isTrusted(client)) client = hops.pop()!;
    return client;
  };
}

/**
 * Whether the client reached us over TLS: our own listener's protocol, or the X-Forwarded-Proto
 * of a trusted proxy that ended TLS for us (anyone else's header is the client's say-so).
 */
export function secureRequestResolver(trustedProxies: string[]): (c: Context) => boolean {
  const isTrusted = trustedMatcher(trustedProxies);
  return (c) => {
    if (new URL(c.req.url).protocol === 'https:') return true;
    if (!isTrusted(peerOf(c))) return false;
    // The proxy nearest us appends last: its word is the last entry.
    const proto = (c.req.header('x-forwarded-proto') ?? '').split(',').pop()?.trim().toLowerCase();
    return proto === 'https';
  };
}
