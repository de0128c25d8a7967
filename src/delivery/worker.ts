import { randomUUID } from 'node:crypto';
import type { BouncesService } from '../bounces/bounces.service.js';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db, Executor, MessageThreadingTable } from '../db/schema.js';
import { outageLog } from '../db/unavailable.js';
import type { Worker } from '../jobs/workers.js';
import type { Logger } from '../log.js';
import { domainOf } from '../mail/address.js';
import type { DkimKey } from '../mail/dkim.js';
import type { Metrics } from '../ops/metrics.js';
import { bodiesWithinBudget, outgoingMail, UNBUDGETED_CHARS } from './bodies.js';
import { classifyError, type Outcome } from './classify.js';
import type { Deliverer } from './deliverer.js';
import * as outbox from './outbox.repo.js';
import { OutcomeWriter } from './outcome-writer.js';
import { RelayWatch } from './relay-watch.js';

export interface DeliveryWorkerOptions {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  conversations: ConversationsService;
  /** The threading headers recorded for messages (agent replies have them). */
  threadingHeaders(ex: Executor, ids: string[]): Promise<MessageThreadingTable[]>;
  /** Renders and sends (in a thread of its own when built). */
  deliverer: Deliverer;
  /** The sender domain's active DKIM key (cached by its owner); null: sent unsigned. */
  signingKey?(domain: string): Promise<DkimKey | null>;
  retrySchedule: readonly number[];
  /** Messages in flight at once. */
  concurrency: number;
  /** PostgreSQL: claim with FOR UPDATE SKIP LOCKED. */
  skipLocked: boolean;
  /** How long a claim lasts unless renewed (DEFAULT_LEASE_MS). */
  leaseMs?: number;
  pollMs?: number;
  /** The relay or MX a recipient's mail goes through (relay-watch.ts); absent: nothing is probed. */
  targetOf?(recipient: string): string | null;
  /** One connection to a target that could not be reached: resolves once it answers. */
  probe?(target: string): Promise<void>;
  probeIntervalMs?: number;
  /** The envelope sender (MAIL FROM) of a message: its signed return path; default its From. */
  envelopeFrom?(messageId: string, from: string): string;
  /** Notes what a permanent refusal or the last refused retry said (bounces.service.ts). */
  bounces?: Pick<BouncesService, 'deliveryFailed'>;
}

/**
 * Claims are leases, renewed every third of this while their messages are in flight. On
 * PostgreSQL a restarted instance cannot tell a dead instance's claims from a live one's, so
 * what a killed process had claimed is delivered again once its lease runs out: short leases
 * bound that delay, renewal keeps slow deliveries from being taken twice. (SQLite is one
 * process: main.ts releases every claim at start.)
 */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * Takes due messages from the outbox, renders and sends each once per attempt, and records
 * what the receiving server said. Claims are leases: a message whose worker died is claimed
 * again when its lease runs out.
 */
export class DeliveryWorker implements Worker {
  private readonly owner = randomUUID();
  private claims = 0;
  /** Messages handed to the deliverer and not yet answered: what the SMTP connections hold. */
  private inFlight = 0;
  /** Ids of the messages claimed and not yet recorded, whose claims renew() extends. */
  private readonly flying = new Set<string>();
  private pumping = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private drained: Array<() => void> = [];
  private readonly outcomes: OutcomeWriter;
  /** A database outage is logged once, not per tick. */
  private readonly claimLog: ReturnType<typeof outageLog>;

  private readonly relays: RelayWatch | null;
  private readonly withBodies: ReturnType<typeof bodiesWithinBudget>;

  constructor(private readonly o: DeliveryWorkerOptions) {
    this.claimLog = outageLog(o.log, 'claiming from the outbox');
    this.withBodies = bodiesWithinBudget((id) => o.conversations.findMessageBodies(o.db, id));
    const probe = o.probe;
    this.relays = probe ? new RelayWatch({ probe, onBack: (t) => this.targetBack(t), log: o.log, intervalMs: o.probeIntervalMs }) : null;
    this.outcomes = new OutcomeWriter({ ...o, onWaiting: (target) => this.relays?.watch(target), onRetried: () => this.wake() });
  }

  start(): void {
    this.stopped = false;
    // Messages left waiting by an earlier run (or another instance) are watched too.
    if (this.relays) {
      outbox.waitingTargets(this.o.db).then(
        (targets) => {
          for (const t of targets) this.relays!.watch(t);
        },
        (err: unknown) => this.o.log.warn({ err }, 'reading the targets deferred messages wait for failed'),
      );
    }
    this.timer = setInterval(() => this.wake(), this.o.pollMs ?? 1_000);
    this.timer.unref();
    this.renewTimer = setInterval(() => this.renew(), this.leaseMs / 3);
    this.renewTimer.unref();
    this.wake();
  }

  wake(): void {
    if (!this.stopped) void this.pump();
  }

  /** Stops claiming, waits for messages in flight and their outcomes, then closes the deliverer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.relays?.stop();
    if (this.timer) clearInterval(this.timer);
    if (this.flying.size > 0) await new Promise<void>((r) => this.drained.push(r));
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.o.deliverer.close();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // While outcomes wait for the database, claim nothing: once it is back their writes go
      // first, or a lease that ran out meanwhile would hand this worker a message it has sent.
      while (!this.stopped && !this.outcomes.retrying) {
        const room = this.o.concurrency * 2 - this.inFlight;
        // Refill in chunks, not one message per finished delivery: a claim is a transaction of
        // five statements whatever its size, and `concurrency` messages still wait for the pool.
        if (room < this.o.concurrency) break;
        const batch = await this.claim(Math.min(room, 500));
        if (batch.length === 0) break;
        for (const m of batch) {
          const id = m.message.id;
          this.inFlight++;
          this.flying.add(id);
          void this.attempt(m)
            .then((outcome) => {
              // The connection takes the next message while this outcome waits for its commit.
              this.inFlight--;
              this.wake();
              return this.record(m.message, m.attempts + 1, outcome);
            })
            .catch((err: unknown) => {
              // The lease runs out and the message is tried again: at least once, never lost.
              this.o.log.error({ err, messageId: id }, 'recording a delivery outcome failed');
            })
            .finally(() => {
              this.flying.delete(id);
              if (this.flying.size === 0) for (const r of this.drained.splice(0)) r();
            });
        }
      }
      this.claimLog.succeeded();
    } catch (err) {
      this.claimLog.failed(err);
    } finally {
      this.pumping = false;
    }
  }

  private get leaseMs(): number {
    return this.o.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /**
   * Extends the claims of the messages in flight; one whose outcome could not be recorded is no
   * longer in flight, so its lease runs out and it is tried again. A failure here is logged; the
   * next tick retries.
   */
  private renew(): void {
    if (this.flying.size === 0) return;
    const until = this.o.clock.now() + this.leaseMs;
    const ids = [...this.flying];
    this.o.batcher.runSoon((trx) => outbox.renew(trx, this.owner, ids, until)).catch((err) => this.o.log.warn({ err }, 'renewing outbox claims failed'));
  }

  private claim(limit: number) {
    const { clock } = this.o;
    return this.o.batcher.run(async (trx) => {
      // A token per claim, so the rows read back are exactly the ones this claim took.
      const rows = await outbox.claim(trx, { owner: `${this.owner}:${++this.claims}`, now: clock.now(), leaseMs: this.leaseMs, limit, skipLocked: this.o.skipLocked });
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.message_id);
      await this.o.conversations.markMany(trx, ids, 'sending');
      const messages = await this.o.conversations.findMessagesForDelivery(trx, ids, UNBUDGETED_CHARS);
      const attempts = new Map(rows.map((r) => [r.message_id, r.attempts]));
      const headers = new Map((await this.o.threadingHeaders(trx, ids)).map((h) => [h.message_id, h]));
      return messages.map((m) => ({ message: m, attempts: attempts.get(m.id) ?? 0, headers: headers.get(m.id) }));
    });
  }

  /** One delivery attempt; never throws: a failure is an outcome. */
  private async attempt({ message: m, headers: h }: Awaited<ReturnType<DeliveryWorker['claim']>>[number]): Promise<Outcome> {
    try {
      const dkim = (await this.o.signingKey?.(domainOf(m.from_email))) ?? null;
      const envelope = { from: this.o.envelopeFrom?.(m.id, m.from_email) ?? m.from_email, to: m.to_email };
      const response = await this.withBodies(m, (bodies) => this.o.deliverer.deliver(outgoingMail(m, h, bodies, dkim), envelope, m.id));
      if (dkim) this.o.metrics.dkimSignedTotal.inc();
      return { kind: 'sent', response };
    } catch (err) {
      return classifyError(err);
    }
  }

  /** Writes a delivery's outcome (outcome-writer.ts: group commits, kept through outages) and logs it. */
  private async record(m: { id: string; org_id: string; conversation_id: string; from_email: string; to_email: string }, attempts: number, outcome: Outcome): Promise<void> {
    const { id } = m;
    const status = await this.outcomes.write({ id, orgId: m.org_id, to: m.to_email, attempts, outcome });
    this.o.metrics.deliveriesTotal.inc({ outcome: status });
    // One line per outcome an operator can follow: ids and domains, never addresses or bodies.
    const level = status === 'sent' ? 'info' : 'warn';
    if (this.o.log.isLevelEnabled(level)) {
      this.o.log[level](
        { messageId: id, conversationId: m.conversation_id, fromDomain: domainOf(m.from_email), toDomain: domainOf(m.to_email), status, attempts, response: outcome.response },
        `delivery ${status}`,
      );
    }
  }

  /** A target answers again: what waits for it is due now, across instances (outbox.wakeWaiting). */
  private async targetBack(target: string): Promise<void> {
    const messages = await this.o.batcher.run((trx) => outbox.wakeWaiting(trx, target, this.o.clock.now()));
    this.o.log.info({ target, messages }, 'delivery target answers again; the messages waiting for it are due now');
    this.wake();
  }
}
