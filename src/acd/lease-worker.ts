import type { JobKind } from '../jobs/runner.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import type { AcdService } from './acd.service.js';

/**
 * Puts work items whose lease ran out back in their queue: a recurring job (src/jobs/) due at
 * every poll of the job runner, run by one instance at a time. Expiry is judged by the
 * service's clock, so a test moves a manual clock and waits for a poll.
 */
export function leaseExpiryJob(o: { acd: AcdService; log: Logger; metrics: Metrics }): JobKind {
  return {
    kind: 'acd.lease-expiry',
    everyMs: 0,
    // What an instance killed during a pass holds up: items stay leased this much longer.
    leaseMs: 10_000,
    async run() {
      const n = await o.acd.expireLeases();
      if (n === 0) return;
      o.metrics.leaseExpiriesTotal.inc(n);
      o.log.info({ expired: n }, 'work-item leases expired; items back in their queues');
    },
  };
}
