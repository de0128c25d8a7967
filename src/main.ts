import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve as serveHttp } from '@hono/node-server';
import { leaseExpiryJob } from './acd/lease-worker.js';
import type { Parsed } from './cli/commands.js';
import { runCli } from './cli/run.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { DatabaseHealth } from './db/health.js';
import { LOCKS, withLock } from './db/lock.js';
import { migrateToLatest, migrationsApplied } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { waitForDatabase } from './db/wait.js';
import { inlineDeliverer, threadDeliverer } from './delivery/deliverer.js';
import * as outboxRepo from './delivery/outbox.repo.js';
import { probeTarget, targetOf } from './delivery/relay-watch.js';
import { createTransport } from './delivery/transport.js';
import { DeliveryWorker } from './delivery/worker.js';
import { createServices, type Services } from './deps.js';
import { domainChecksJob } from './domains/check-job.js';
import { createApp } from './http/app.js';
import { type Preparer, threadPreparer } from './inbound/preparer.js';
import { startSmtp } from './inbound/smtp.js';
import { resetSpool, spoolDir } from './inbound/spool.js';
import * as jobsRepo from './jobs/jobs.repo.js';
import { maintenanceJob } from './jobs/maintenance.js';
import { JobRunner } from './jobs/runner.js';
import { Workers } from './jobs/workers.js';
import type { Logger } from './log.js';
import { domainOf } from './mail/address.js';
import { bounceAddress } from './mail/tokens.js';
import { createMetrics } from './ops/metrics.js';
import { scheduleJob } from './schedules/schedule-job.js';
import { loadSecret } from './secret.js';
import { type InitResult, initOrganization } from './setup/init.js';
import { VERSION } from './version.js';
import { webhookJobs } from './webhooks/dispatch.js';

// The only module with side effects, and only when its functions are called:
// config → logger → database → migrations → services → listeners → signals.

export interface Running {
  config: Config;
  services: Services;
  httpUrl: string;
  smtpPort: number;
  /** Set when `serve` initialized an empty database. */
  init: InitResult | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Seconds between delivery polls; tests shorten it. */
  pollMs?: number;
  directPort?: number;
  /** Milliseconds a webhook receiver has to answer; the contract's 15 s unless a test shortens it. */
  webhookTimeoutMs?: number;
  /** Lanes of one webhook tried at once by an instance (default 16); tests lower it. */
  webhookLanesPerSubscription?: number;
  /** Parses and authenticates inbound mail; default: inbound threads when built, else in-line. */
  preparer?: Preparer;
}

/** Starts the whole service: HTTP API and delivery worker (and, later, inbound SMTP). */
export async function start(config: Config, log: Logger, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  const secret = loadSecret(config.secret, config.dataDir);
  const dbLog = log.child({ module: 'db' });
  const health = new DatabaseHealth(dbLog);
  const opened = openDatabase(config.databaseUrl, {
    health,
    onConnectionError: (err) => dbLog.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'database connection lost'),
  });
  const { db, dialect } = opened;
  await waitForDatabase(db, dbLog, config.databaseWaitSeconds);
  const applied = await migrateToLatest(db);
  if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');

  const metrics = createMetrics({ outboxDepth: () => outboxRepo.depth(db), defaults: true });
  const preparer = opts.preparer ?? threadPreparer({ mta: config.inboundDomain, dnsServers: config.dnsServers }, { threads: config.inboundThreads, timeLimitMs: config.inboundTimeLimitMs });
  const services = createServices({ db, dialect, clock, config, secret, metrics, log, ...(preparer ? { preparer } : {}) });
  // Instances starting together on an empty PostgreSQL database: exactly one initializes it.
  const init = await withLock(db, dialect, LOCKS.firstStart, async () =>
    (await services.auth.countOrganizations()) === 0 ? initOrganization(services, { orgName: 'Default', inboundDomain: config.inboundDomain, senderDomain: config.senderDomain }) : null,
  );
  if (init) {
    // Shown once, on purpose: this is how a first-time user gets in.
    log.warn({ orgId: init.orgId, clientId: init.clientId, clientSecretOnce: init.clientSecret }, 'empty database: created an organization; keep these admin credentials');
  }
  // SQLite is one process: any claim left in the outbox or the jobs belongs to a process that died.
  if (dialect === 'sqlite') {
    await outboxRepo.releaseAll(db);
    await jobsRepo.jobs.releaseAll(db);
  }

  const transportOptions = {
    target: config.outbound,
    dataDir: config.dataDir,
    dnsServers: config.dnsServers,
    connections: config.outboundConnections,
    heloName: config.senderDomain,
    directPort: opts.directPort ?? config.directPort,
  };
  const deliverer = threadDeliverer(transportOptions, config.deliveryThreads) ?? inlineDeliverer(createTransport(transportOptions));
  const worker = new DeliveryWorker({
    db,
    batcher: services.batcher,
    clock,
    log: log.child({ module: 'delivery' }),
    metrics,
    conversations: services.conversations,
    threadingHeaders: services.threading.findHeadersMany,
    deliverer,
    signingKey: (domain) => services.domains.signingKey(domain),
    retrySchedule: config.retrySchedule,
    concurrency: config.outboundConnections,
    skipLocked: dialect === 'postgres',
    pollMs: opts.pollMs,
    targetOf: (recipient) => targetOf(transportOptions, recipient),
    probe: (target) => probeTarget(transportOptions, target),
    // Each message's own signed return path: a bounce names the message it is about.
    envelopeFrom: (messageId, from) => bounceAddress(services.keys, messageId, domainOf(from)),
    bounces: services.bounces,
  });
  services.deliveryQueue.onWake(() => worker.wake());
  // Polls as often as the delivery worker.
  const jobs = new JobRunner({ batcher: services.batcher, clock, log: log.child({ module: 'jobs' }), metrics, skipLocked: dialect === 'postgres', pollMs: opts.pollMs })
    .register(leaseExpiryJob({ acd: services.acd, log: log.child({ module: 'acd' }), metrics }))
    .register(domainChecksJob({ domains: services.domains, checkIntervalMs: config.dns.checkIntervalSeconds * 1000 }))
    .register(maintenanceJob({ batcher: services.batcher, prune: [services.idempotency, services.rateLimit, services.consoleSessions, services.webhooks] }))
    .register(scheduleJob(services.schedules));
  for (const k of webhookJobs({
    ...services,
    db,
    clock,
    dialect,
    sealer: services.webhookSealer,
    allowPrivate: config.webhookAllowPrivate,
    timeoutMs: opts.webhookTimeoutMs ?? 15_000,
    concurrency: 8,
    lanesPerSubscription: opts.webhookLanesPerSubscription ?? 16,
    lanesPerInstance: 64,
    userAgent: `threadline/${VERSION} (webhooks)`,
  }))
    jobs.register(k);
  services.jobs.onWake(() => jobs.wake());
  // Every background worker: started once HTTP listens, stopped after the listeners closed and before the database.
  const workers = new Workers(log).add('delivery', worker).add('jobs', jobs);

  // Ready means ready at full speed: the inbound threads load their libraries after the
  // listeners start, and mail sent to an instance before that waits behind the loading.
  let warming = preparer?.ready !== undefined;
  const warmed = () => {
    warming = false;
  };
  void preparer?.ready?.().then(warmed, warmed);
  const ready = async () => health.condition ?? (warming ? 'inbound threads warming up' : null) ?? ((await migrationsApplied(db)) ? null : 'migrations pending');
  // Aborted at stop: long-lived responses (the console's live streams) end, so that HTTP can close.
  const shutdown = new AbortController();
  const app = createApp({
    services,
    metrics,
    log: log.child({ module: 'http' }),
    ready,
    version: VERSION,
    dataDir: config.dataDir,
    trustedProxies: config.trustedProxies,
    shutdown: shutdown.signal,
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serveHttp({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const httpUrl = `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${port}`;
  workers.start();
  const smtp = await startSmtp(
    {
      host: config.smtpHost,
      port: config.smtpPort,
      maxBytes: config.smtp.maxBytes,
      spoolDir: resetSpool(spoolDir(config.dataDir)),
      maxRecipients: config.smtp.maxRecipients,
      maxClients: config.smtp.maxConnections,
      guard: { maxPerClient: config.smtp.maxPerClient, commandTimeoutMs: config.smtp.commandTimeoutSeconds * 1000, minDataRate: config.smtp.minDataRate },
      reverseLookup: config.smtp.reverseLookup,
      greetingDelayMs: config.smtp.greetingDelayMs,
      tls: config.smtp.tlsKeyFile && config.smtp.tlsCertFile ? { key: fs.readFileSync(config.smtp.tlsKeyFile), cert: fs.readFileSync(config.smtp.tlsCertFile) } : null,
      hostname: config.inboundDomain,
    },
    services.inbound,
    log.child({ module: 'smtp' }),
    metrics,
  );

  log.info({ http: httpUrl, smtp: `${config.smtpHost}:${smtp.port}`, outbound: config.outbound.kind, database: dialect }, 'threadline started');

  let stopping: Promise<void> | null = null;
  return {
    config,
    services,
    httpUrl,
    smtpPort: smtp.port,
    init,
    stop: () =>
      (stopping ??= (async () => {
        // Inbound first: a message whose DATA is in progress is answered 451 or finishes.
        await smtp.close();
        await preparer?.close();
        shutdown.abort();
        await new Promise<void>((r) => server.close(() => r()));
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await workers.stop();
        await services.batcher.idle();
        await opened.close();
        log.info('threadline stopped');
      })()),
  };
}

/** A parsed command line that runs a command (see cli/entry.ts, the bin's entry, and cli/run.ts). */
export const runCommandLine = (parsed: Extract<Parsed, { kind: 'run' }>, env: NodeJS.ProcessEnv): Promise<number> => runCli(parsed, env, { serve: serveUntilSignal });

async function serveUntilSignal(config: Config, log: Logger): Promise<number> {
  const running = await start(config, log);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  // Work that cannot finish (outcomes waiting for a database that is down) must not keep the
  // process from exiting: what it had claimed is released by its lease and retried.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.shutdownSeconds * 1000)));
  const stopped = await Promise.race([running.stop().then(() => 'stopped' as const), timedOut]);
  clearTimeout(timer);
  if (stopped === 'timeout') {
    log.error({ shutdownSeconds: config.shutdownSeconds }, 'shutdown timed out; exiting with work unfinished (its claims expire and it is retried)');
    // Whatever still waits (a pool reconnecting, a write retrying) would keep the process up.
    process.exit(1);
  }
  return 0;
}
