import { isIPv6 } from 'node:net';

// How a client is counted wherever threadline limits one: inbound SMTP connections, password
// guesses on the token endpoint.

/** IPv4-mapped addresses as IPv4, lower case: how smtp-server reports a peer. */
export const plainAddress = (address: string) =>
  address
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(?=\d+\.)/, '');

/** What a client is counted by: the IPv4 address, or the IPv6 address's /64 (a client commands every address in it). */
export function clientKey(address: string): string {
  const a = plainAddress(address).split('%')[0]!;
  if (!isIPv6(a)) return a;
  const [left = '', right] = a.split('::');
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const groups = right === undefined ? head : [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : '0'))
    .join(':')}::/64`;
}
