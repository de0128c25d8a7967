import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Db } from '../db/schema.js';
import type { Logger } from '../log.js';
import { composeMessage } from '../mail/compose.js';
import type { Metrics } from '../ops/metrics.js';
import { classifyError, nextRetryDelay, type Outcome } from './classify.js';
import * as outbox from './outbox.repo.js';
import type { Transport } from './transport.js';

export interface DeliveryWorkerOptions {
  db: Db;
  batcher: TxBatcher;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  conversations: ConversationsService;
  transport: Transport;
  retrySchedule: readonly number[];
  /** Messages in flight at once. */
  concurrency: number;
  /** PostgreSQL: claim with FOR UPDATE SKIP LOCKED. */
  skipLocked: boolean;
  leaseMs?: number;
  pollMs?: number;
}

/**
 * Takes due messages from the outbox, renders and sends each once per attempt, and records
 * what the receiving server said. Claims are leases: a message whose worker died is claimed
 * again when its lease runs out.
 */
export class DeliveryWorker {
  private readonly owner = randomUUID();
  private claims = 0;
  private inFlight = 0;
  private pumping = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private drained: Array<() => void> = [];

  constructor(private readonly o: DeliveryWorkerOptions) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.o.pollMs ?? 1_000);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (!this.stopped) void this.pump();
  }

  /** Stops claiming, waits for messages in flight, then closes the transport. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.inFlight > 0) await new Promise<void>((r) => this.drained.push(r));
    this.o.transport.close();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped) {
        const room = this.o.concurrency * 2 - this.inFlight;
        if (room <= 0) break;
        const batch = await this.claim(Math.min(room, 500));
        if (batch.length === 0) break;
        for (const m of batch) {
          this.inFlight++;
          void this.deliver(m).finally(() => {
            this.inFlight--;
            if (this.inFlight === 0) this.drained.splice(0).forEach((r) => r());
            this.wake();
          });
        }
      }
    } catch (err) {
      this.o.log.error({ err }, 'claiming from the outbox failed; retrying on the next tick');
    } finally {
      this.pumping = false;
    }
  }

  private claim(limit: number) {
    const { clock } = this.o;
    return this.o.batcher.run(async (trx) => {
      // A token per claim, so the rows read back are exactly the ones this claim took.
      const rows = await outbox.claim(trx, { owner: `${this.owner}:${++this.claims}`, now: clock.now(), leaseMs: this.o.leaseMs ?? 300_000, limit, skipLocked: this.o.skipLocked });
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.message_id);
      await this.o.conversations.markMany(trx, ids, 'sending');
      const messages = await this.o.conversations.findMessagesByIds(trx, ids);
      const attempts = new Map(rows.map((r) => [r.message_id, r.attempts]));
      return messages.map((m) => ({ message: m, attempts: attempts.get(m.id) ?? 0 }));
    });
  }

  private async deliver({ message: m, attempts }: Awaited<ReturnType<DeliveryWorker['claim']>>[number]): Promise<void> {
    let outcome: Outcome;
    try {
      const raw = await composeMessage({
        messageIdHeader: m.message_id_header,
        date: new Date(Number(m.created_at)),
        from: { email: m.from_email, name: m.from_name },
        to: { email: m.to_email, name: m.to_name },
        replyTo: m.reply_to_email ? { email: m.reply_to_email, name: m.reply_to_name } : null,
        subject: m.subject,
        text: m.text_body,
        html: m.html_body,
      });
      const response = await this.o.transport.send({ from: m.from_email, to: m.to_email }, raw, m.id);
      outcome = { kind: 'sent', response };
    } catch (err) {
      outcome = classifyError(err);
    }
    await this.record(m.id, attempts + 1, outcome).catch((err) => {
      // The lease runs out and the message is tried again: at least once, never lost.
      this.o.log.error({ err, messageId: m.id }, 'recording a delivery outcome failed');
    });
  }

  private async record(id: string, attempts: number, outcome: Outcome): Promise<void> {
    const { clock, conversations } = this.o;
    let status: string = outcome.kind;
    let detail: string | null = null;
    await this.o.batcher.run(async (trx) => {
      if (outcome.kind === 'deferred') {
        const delay = nextRetryDelay(this.o.retrySchedule, attempts);
        if (delay === null) {
          status = 'failed';
          detail = `gave up after ${attempts} attempts`;
        } else {
          detail = `next attempt in ${delay} s`;
          await outbox.reschedule(trx, id, clock.now() + delay * 1000, attempts);
        }
      }
      if (status !== 'deferred') await outbox.remove(trx, id);
      await conversations.setDeliveryStatus(trx, [{ id, status, response: outcome.response, detail, attempts }]);
    });
    this.o.metrics.deliveriesTotal.inc({ outcome: status });
    const level = status === 'sent' ? 'debug' : 'warn';
    this.o.log[level]({ messageId: id, status, attempts, response: outcome.response }, `delivery ${status}`);
  }
}
