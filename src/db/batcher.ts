import { CompiledQuery, type Transaction } from 'kysely';
import { dialectOf } from './compiled.js';
import type { Database, Db } from './schema.js';

// Compiled once: these run once per piece of work, on the hottest path there is.
const SAVEPOINT = CompiledQuery.raw('savepoint tl_item');
const ROLLBACK = CompiledQuery.raw('rollback to savepoint tl_item');
/**
 * Between two pieces: keep the first one's writes and open the next one's savepoint. PostgreSQL
 * takes both in one message (the simple protocol runs several statements), one round trip
 * instead of two; SQLite prepares one statement at a time, and runs them in-process anyway.
 */
const NEXT = {
  postgres: [CompiledQuery.raw('release savepoint tl_item; savepoint tl_item')],
  sqlite: [CompiledQuery.raw('release savepoint tl_item'), SAVEPOINT],
};

type Work<T> = (trx: Transaction<Database>) => Promise<T>;
interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: pieces of work that arrive while a transaction is being written are run
 * together in the next one, so one fsync acknowledges many requests. Each piece runs inside
 * its own savepoint, so one that throws rolls back only its own writes.
 */
export class TxBatcher {
  private queue: Pending[] = [];
  private running = false;
  private soon: NodeJS.Timeout | null = null;
  private drained: Array<() => void> = [];

  private readonly next: CompiledQuery[];

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 256,
  ) {
    this.next = NEXT[dialectOf(db)];
  }

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.start();
    });
  }

  /**
   * Like run(), for work nobody is waiting on (the delivery worker's claims and outcomes): it
   * rides with the next transaction something else starts, and starts one itself only after
   * `maxDelayMs`. Alone, each such piece paid a commit and its fsync, a third of all commits
   * under bench:send, each holding the thread (and the sends behind it) for the fsync.
   */
  runSoon<T>(work: Work<T>, maxDelayMs = 10): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // Not unref()'d: queued writes keep the process alive until they are written, at most
      // maxDelayMs.
      this.soon ??= setTimeout(() => {
        this.soon = null;
        if (this.queue.length > 0) this.start();
      }, maxDelayMs);
    });
  }

  /** Resolves when nothing is queued or being written (a drain wakes it, nothing spins). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.start();
      await new Promise<void>((r) => this.drained.push(r));
    }
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      if (batch.length === 1) {
        // Alone in its transaction, a piece needs no savepoint: if it throws, all is rolled back.
        const item = batch[0]!;
        await this.db.transaction().execute(item.work).then(item.resolve, item.reject);
        continue;
      }
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      try {
        await this.db.transaction().execute(async (trx) => {
          await trx.executeQuery(SAVEPOINT);
          // After a piece that was rolled back, its savepoint stands, empty: the next piece uses it.
          let kept = false;
          for (const item of batch) {
            if (kept) for (const q of this.next) await trx.executeQuery(q);
            try {
              outcomes.push({ ok: true, value: await item.work(trx) });
              kept = true;
            } catch (error) {
              try {
                await trx.executeQuery(ROLLBACK);
              } catch {
                // The database ended the whole transaction itself (SQLite does on a full disk):
                // nothing in the batch is written, and `error` says why, not "no such savepoint".
                throw error;
              }
              outcomes.push({ ok: false, error });
              kept = false;
            }
          }
          // COMMIT releases the last savepoint with the rest.
        });
      } catch (error) {
        // The commit itself failed: nothing in this batch is durable.
        for (const item of batch) item.reject(error);
        continue;
      }
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.error);
      });
    }
    this.running = false;
    for (const wake of this.drained.splice(0)) wake();
  }
}
