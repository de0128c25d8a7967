import type { JobKind } from '../jobs/runner.js';

/**
 * Sender domains' DNS records are checked again every THREADLINE_DNS_CHECK_INTERVAL: a recurring
 * job looks for due domains (cheap: at most every 30 s), and each due domain's check is claimed
 * by one instance (checkDue's compare-and-set), whichever instance runs the look.
 */
export function domainChecksJob(o: { domains: { checkDue(): Promise<number> }; checkIntervalMs: number }): JobKind {
  return {
    kind: 'domains.check-due',
    everyMs: Math.min(30_000, o.checkIntervalMs),
    // A look checks up to twenty domains, each with several DNS queries.
    leaseMs: 120_000,
    run: async () => {
      await o.domains.checkDue();
    },
  };
}
