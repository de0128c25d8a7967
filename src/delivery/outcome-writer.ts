import type { TxBatcher } from '../db/batcher.js';
import { databaseClosed, databaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../log.js';
import { type PendingOutcome, writeOutcomes } from './outcomes.js';

export type OutcomeWriterOptions = Parameters<typeof writeOutcomes>[2] & {
  batcher: Pick<TxBatcher, 'runSoon'>;
  log: Logger;
  /** A deferred message now waits for this relay or MX to answer again. */
  onWaiting(target: string): void;
  /** Outcomes kept through a database failure were tried again: claiming may resume. */
  onRetried(): void;
};

/**
 * The delivery worker's outcome writes. Outcomes go through the batcher like every other write,
 * and those that arrive while one is waiting to be written join it: one piece of work, a few
 * statements for all of them, and one fsync (group commit) for them and whatever else shares
 * the transaction. While the database cannot be reached they are kept and written once it
 * answers: each of those messages was sent, and an outcome never written would have it sent
 * again when its lease runs out.
 */
export class OutcomeWriter {
  /** Outcomes waiting for the write that is queued. */
  private unwritten: PendingOutcome[] = [];
  private writeQueued = false;
  /** Set while outcomes wait to be written again after the database failed. */
  private retry: NodeJS.Timeout | null = null;
  private retryMs = 0;

  constructor(private readonly o: OutcomeWriterOptions) {}

  /** Whether outcomes wait for the database to answer again (the worker claims nothing meanwhile). */
  get retrying(): boolean {
    return this.retry !== null;
  }

  /** Writes one message's outcome; resolves with the status recorded. */
  write(item: Omit<PendingOutcome, 'resolve' | 'reject'>): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.unwritten.push({ ...item, resolve, reject });
      this.writeSoon();
    });
  }

  /** Queues one write for everything in `unwritten`, including what arrives until the batcher gets to it. */
  private writeSoon(): void {
    if (this.writeQueued || this.retry || this.unwritten.length === 0) return;
    this.writeQueued = true;
    let taken: PendingOutcome[] | null = null;
    this.o.batcher
      .runSoon((trx) => {
        this.writeQueued = false;
        taken = this.unwritten.splice(0);
        return writeOutcomes(trx, taken, this.o);
      })
      .then(
        ({ statuses, waitingFor }) => {
          if (this.retryMs > 0) this.o.log.info({ outcomes: taken!.length }, 'delivery outcomes written after the database came back');
          this.retryMs = 0;
          for (const [i, t] of taken!.entries()) t.resolve(statuses[i]!);
          for (const target of waitingFor) this.o.onWaiting(target);
        },
        (err: unknown) => this.failed(err, taken),
      );
  }

  private failed(err: unknown, taken: PendingOutcome[] | null): void {
    // The transaction can fail before the work ran (no connection): nothing was taken.
    if (taken === null) this.writeQueued = false;
    if (databaseClosed(err)) {
      // Stopped with outcomes unwritten (shutdown ran out of time): their leases run out and
      // those messages may be sent again. Nothing can be written through a closed handle.
      const lost = [...(taken ?? []), ...this.unwritten.splice(0)];
      this.o.log.error({ outcomes: lost.length }, 'delivery outcomes not written: the database was closed first; those messages may be sent again');
      for (const t of lost) t.reject(err);
      return;
    }
    // A transaction that failed before its work ran failed for none of these outcomes: kept and
    // tried again after a pause, like an outage (again at once, it could fail at once, forever).
    if (databaseUnavailable(err) || taken === null) {
      this.unwritten.unshift(...(taken ?? []));
      if (this.retryMs === 0) this.o.log.warn({ err: { message: (err as Error).message }, outcomes: this.unwritten.length }, 'delivery outcomes kept until the database answers');
      this.retryMs = Math.min(Math.max(this.retryMs * 2, 100), 2_000);
      // Not unref()'d: these writes are owed; the worker's stop() waits for them (main.ts bounds it).
      this.retry = setTimeout(() => {
        this.retry = null;
        this.writeSoon();
        this.o.onRetried();
      }, this.retryMs);
      return;
    }
    // Anything else is about these outcomes: their leases run out and they are tried again.
    for (const t of taken) t.reject(err);
    this.writeSoon();
  }
}
