import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per service instance (not prom-client's global), so tests can run several. */
export function createMetrics(opts: { outboxDepth: () => Promise<number>; defaults?: boolean }) {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'threadline_' });
  const acceptedTotal = new Counter({ name: 'threadline_sends_accepted_total', help: 'Agentless sends accepted (2xx).', registers: [registry] });
  const rejectedTotal = new Counter({
    name: 'threadline_sends_rejected_total',
    help: 'Agentless sends refused, by HTTP status.',
    labelNames: ['status'],
    registers: [registry],
  });
  const deliveriesTotal = new Counter({
    name: 'threadline_deliveries_total',
    help: 'Delivery attempts by outcome: sent, deferred, failed.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const acceptSeconds = new Histogram({
    name: 'threadline_send_accept_seconds',
    help: 'Time from request to durable acceptance of an agentless send.',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'threadline_outbox_depth',
    help: 'Messages waiting for delivery (queued or deferred).',
    registers: [registry],
    async collect() {
      this.set(await opts.outboxDepth());
    },
  });
  const inboundTotal = new Counter({
    name: 'threadline_inbound_messages_total',
    help: 'Inbound messages stored, by kind (reply, auto_reply, bounce, complaint) and threading outcome.',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const reportsAppliedTotal = new Counter({
    name: 'threadline_reports_applied_total',
    help: 'Bounces and complaints applied to the message they name, by outcome (bounced, complained, delayed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const reportsDroppedTotal = new Counter({
    name: 'threadline_reports_dropped_total',
    help: 'Bounces and complaints dropped because they name no message threadline sent (never threaded, never answered).',
    labelNames: ['kind'],
    registers: [registry],
  });
  const inboundDuplicatesTotal = new Counter({ name: 'threadline_inbound_duplicates_total', help: 'Inbound messages recognised as already stored.', registers: [registry] });
  const smtpRejectionsTotal = new Counter({
    name: 'threadline_smtp_rejections_total',
    help: 'SMTP commands refused, by reply code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const inboundSeconds = new Histogram({
    name: 'threadline_inbound_store_seconds',
    help: 'Time from end of DATA to the 250 reply (parse, thread, store).',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const domainChecksTotal = new Counter({
    name: 'threadline_sender_domain_checks_total',
    help: 'DNS checks of sender domains, by resulting status (VERIFIED, PENDING, FAILED, UNKNOWN).',
    labelNames: ['status'],
    registers: [registry],
  });
  const domainStatusChangesTotal = new Counter({
    name: 'threadline_sender_domain_status_changes_total',
    help: 'Sender domains whose status changed at a check, by old and new status (VERIFIED→FAILED is a record that stopped verifying).',
    labelNames: ['from', 'to'],
    registers: [registry],
  });
  const dkimSignedTotal = new Counter({
    name: 'threadline_deliveries_dkim_signed_total',
    help: 'Messages delivered (sent) with a DKIM signature of their sender domain.',
    registers: [registry],
  });
  const quarantinedTotal = new Counter({
    name: 'threadline_inbound_quarantined_total',
    help: 'Inbound replies that matched a conversation but failed authentication, held in quarantine.',
    registers: [registry],
  });
  const inboundDmarcTotal = new Counter({
    name: 'threadline_inbound_dmarc_total',
    help: "Inbound messages by their From domain's DMARC result (pass, fail, none, temperror, permerror).",
    labelNames: ['result'],
    registers: [registry],
  });
  const jobsTotal = new Counter({
    name: 'threadline_jobs_total',
    help: 'Background jobs run (src/jobs/), by kind and outcome: done, failed (tried again later), gave_up.',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const leaseExpiriesTotal = new Counter({
    name: 'threadline_acd_lease_expiries_total',
    help: 'Work-item leases that ran out, putting the item back in its queue.',
    registers: [registry],
  });
  return {
    registry,
    reportsAppliedTotal,
    reportsDroppedTotal,
    jobsTotal,
    leaseExpiriesTotal,
    dkimSignedTotal,
    domainChecksTotal,
    domainStatusChangesTotal,
    quarantinedTotal,
    inboundDmarcTotal,
    inboundTotal,
    inboundDuplicatesTotal,
    smtpRejectionsTotal,
    inboundSeconds,
    acceptedTotal,
    rejectedTotal,
    deliveriesTotal,
    acceptSeconds,
  };
}
