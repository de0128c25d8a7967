import { type DnsServer, startDnsServer as start, type Zone } from '../../support/dns-server.js';
import { atEnd } from './cleanup.js';

export { publish, publishListed, type Zone, type ZoneRecord } from '../../support/dns-server.js';

/** support/dns-server.ts's server, closed when the test file ends. */
export async function startDnsServer(zone: Zone = {}): Promise<DnsServer> {
  const server = await start(zone);
  atEnd(() => server.close());
  return server;
}
