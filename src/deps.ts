import { createAgentInbox } from './acd/acd.inbox.js';
import { createAcdService } from './acd/acd.service.js';
import { createAgentsService } from './agents/agents.service.js';
import { createAuthService } from './auth/auth.service.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { deriveKey } from './auth/secrets.js';
import { createBouncesService } from './bounces/bounces.service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createConsoleSessionsService } from './console/sessions.service.js';
import { createConversationsService } from './conversations/conversations.service.js';
import { createSealer } from './crypto/sealed.js';
import { TxBatcher } from './db/batcher.js';
import type { Dialect } from './db/open.js';
import type { Db } from './db/schema.js';
import { createDeliveryQueue } from './delivery/outbox.js';
import { createDnsResolver } from './dns/resolver.js';
import { createDomainsService } from './domains/domains.service.js';
import { createSenderDomainsService } from './domains/sender-domains.js';
import { createEventsService } from './events/events.service.js';
import { createIdempotencyService } from './idempotency/idempotency.service.js';
import { createInboundService, type WorkQueue } from './inbound/inbound.service.js';
import { inlinePreparer, type Preparer } from './inbound/preparer.js';
import { createJobQueue } from './jobs/queue.js';
import type { Logger } from './log.js';
import { deriveTokenKeys } from './mail/tokens.js';
import type { Metrics } from './ops/metrics.js';
import { createConfigurationsService } from './outbound-config/configurations.service.js';
import { createInvokeService } from './outbound-config/invoke.service.js';
import { createTimeline } from './outbound-config/timeline.js';
import { createQueuesService } from './queues/queues.service.js';
import { createWrapupCodesService } from './queues/wrapup-codes.service.js';
import { createRateLimitService } from './ratelimit/ratelimit.service.js';
import { createSchedulesService } from './schedules/schedules.service.js';
import { createAgentReplyService } from './send/agent-reply.js';
import { createOutbound } from './send/outbound.js';
import { createSendService } from './send/send.service.js';
import { createSendLimit } from './send/send-limit.js';
import { createSuppressionService } from './suppression/suppression.service.js';
import { createTemplatesService } from './templates/templates.service.js';
import { createThreadingService } from './threading/threading.service.js';
import { createWebhooksService } from './webhooks/webhooks.service.js';

export type Services = ReturnType<typeof createServices>;

/** Wires every service from the database, the clock and the secret. No I/O happens here. */
export function createServices(deps: {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  config: Config;
  secret: Buffer;
  metrics?: Metrics;
  log?: Logger;
  /** Inbound threads (main.ts); default: in-line, with this process's DNS cache. */
  preparer?: Preparer;
}) {
  const { db, clock, config, secret } = deps;
  const batcher = new TxBatcher(db);
  const events = createEventsService({ db, clock, dialect: deps.dialect });
  const keys = deriveTokenKeys(secret);
  const queues = createQueuesService({ db, clock });
  const rateLimit = createRateLimitService({ clock });
  const loginThrottle = createLoginThrottle({ db, rateLimit });
  const agents = createAgentsService({ db, clock, queues, loginThrottle });
  const auth = createAuthService({
    db,
    clock,
    tokenKey: deriveKey(secret, 'threadline access-token v1'),
    defaultRateLimitPerMinute: config.defaultRateLimitPerMinute,
    users: agents.directory,
    loginThrottle,
  });
  const resolver = createDnsResolver({ servers: config.dnsServers });
  const inboundDomains = createDomainsService({ db, clock, resolver, queues, events });
  const senderDomains = createSenderDomainsService({
    db,
    clock,
    events,
    sealer: createSealer(secret, 'dkim keys'),
    resolver,
    settings: {
      outboundMode: config.outbound.kind,
      spfMechanism: config.dns.spfMechanism,
      mxHost: config.dns.publicHost,
      checkIntervalMs: config.dns.checkIntervalSeconds * 1000,
      dkimBits: config.dns.dkimBits,
      dkimRetireMs: config.dns.dkimRetireSeconds * 1000,
    },
    inboundDomainOf: (ex, orgId) => inboundDomains.replyDomainFor(ex, orgId),
    log: deps.log?.child({ module: 'domains' }),
    metrics: deps.metrics,
  });
  // One face for both kinds of domain: sends check sender domains and make reply addresses on inbound ones.
  const domains = { ...inboundDomains, ...senderDomains };
  const conversations = createConversationsService({ db, clock, events });
  const idempotency = createIdempotencyService({ clock });
  const deliveryQueue = createDeliveryQueue(clock);
  const jobs = createJobQueue(clock);
  const threading = createThreadingService({
    db,
    clock,
    keys,
    conversationSubject: async (ex, orgId, id) => (await conversations.conversationRow(ex, orgId, id))?.subject ?? null,
    defaultInboundAuth: config.inboundAuth,
  });
  const suppressions = createSuppressionService({ db, clock, events });
  const bounces = createBouncesService({ clock, keys, conversations, suppressions });
  const work: WorkQueue = { enqueue: (ex, item) => acd.enqueue(ex, item) };
  const inbound = createInboundService({
    db,
    batcher,
    clock,
    events,
    conversations,
    domains,
    threading,
    work,
    keys,
    bounces,
    preparer: deps.preparer ?? inlinePreparer(config.inboundDomain, resolver.lookup),
    metrics: deps.metrics,
  });
  const wrapupCodes = createWrapupCodesService({ db, clock, queues });
  const acd = createAcdService({
    db,
    batcher,
    clock,
    events,
    agents,
    queues,
    conversations,
    wrapupCodes,
    skipLocked: deps.dialect === 'postgres',
    lastAgentSeconds: config.lastAgentSeconds,
  });
  const outbound = createOutbound({ batcher, clock, keys, sendLimit: createSendLimit({ auth, clock }), conversations, domains, threading, rateLimit, delivery: deliveryQueue, suppressions });
  const send = createSendService({ outbound, idempotency });
  const agentReplies = createAgentReplyService({ clock, conversations, threading, outbound });
  // Each needs the other: a template in use by a configuration is not deleted.
  const templates = createTemplatesService({ db, clock, usersOf: (ex, orgId, id) => configurations.usersOf(ex, orgId, id) });
  const configurations = createConfigurationsService({ db, clock, templates, queues, senderDomains });
  const webhookSealer = createSealer(secret, 'webhook secrets');
  const webhooks = createWebhooksService({ db, clock, dialect: deps.dialect, sealer: webhookSealer, jobs, allowPrivate: config.webhookAllowPrivate });
  const invoke = createInvokeService({ outbound, configurations, templates, conversations, idempotency, rateLimit, invocationsPerHour: config.outboundInvocationsPerHour });
  const schedules = createSchedulesService({ db, batcher, clock, outbound, invoke, configurations, jobs });
  return {
    batcher,
    events,
    keys,
    resolver,
    auth,
    queues,
    domains,
    conversations,
    rateLimit,
    idempotency,
    deliveryQueue,
    jobs,
    outbound,
    suppressions,
    bounces,
    send,
    threading,
    inbound,
    agentReplies,
    agents,
    acd,
    wrapupCodes,
    inbox: createAgentInbox({ db, clock, acd, agents, queues }),
    templates,
    configurations,
    invoke,
    webhooks,
    webhookSealer,
    schedules,
    timeline: createTimeline(db),
    consoleSessions: createConsoleSessionsService({ db, clock, principalOf: auth.userPrincipal }),
  };
}
