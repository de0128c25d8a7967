import { isMainThread, workerData } from 'node:worker_threads';
import { createDnsResolver } from '../dns/resolver.js';
import { serveRequests } from '../threads/pool.js';
import { examine, type Arrival, type PrepareThreadData } from './preparer.js';

// An inbound thread (see preparer.ts): parses and authenticates the messages the main thread
// posts, with a DNS cache of its own.

if (!isMainThread) {
  const data = workerData as PrepareThreadData;
  const resolver = createDnsResolver({ servers: data.dnsServers });
  serveRequests((a: Arrival, stage) => examine(a, data.mta, resolver.lookup, stage));
}
