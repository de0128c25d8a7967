import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Executor } from '../db/schema.js';
import { databaseUnavailable, outageLog } from '../db/unavailable.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import { type Backoff, exponentialBackoff } from './backoff.js';
import * as repo from './jobs.repo.js';
import type { Worker } from './workers.js';

export interface Job {
  id: string;
  kind: string;
  key: string | null;
  orgId: string | null;
  /** Failed attempts before this one. */
  attempts: number;
  /** The payload given to enqueue(), parsed. */
  payload: unknown;
}

/** One kind of job: what runs it, and how. Adding a kind is one of these, registered in main.ts. */
export interface JobKind {
  kind: string;
  /**
   * Recurring: one row, due again `everyMs` (service clock) after each run started, 0 for every
   * poll of the runner; never given up.
   */
  everyMs?: number;
  /** Jobs of this kind one runner runs at once; default 1. */
  concurrency?: number;
  /** How long a claim lasts unless renewed (renewed while the job runs); default 30 s. */
  leaseMs?: number;
  /** Delay after a failure, null to give up; default: doubling from 1 s, jittered, 10 attempts. */
  backoff?: Backoff;
  run(job: Job): Promise<void>;
  /** A one-off job given up after its last failed attempt; written with its removal. */
  gaveUp?(ex: Executor, job: Job, err: unknown): Promise<void>;
}

export interface JobRunnerOptions {
  batcher: Pick<TxBatcher, 'run' | 'runSoon'>;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** PostgreSQL: claim with FOR UPDATE SKIP LOCKED. */
  skipLocked: boolean;
  /** Real-time milliseconds between looks for due jobs. */
  pollMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const defaultBackoff = exponentialBackoff();

type Write = (trx: Executor) => Promise<unknown>;

/**
 * Runs the jobs of the `jobs` table whose time has come, on any number of instances: a job is
 * claimed with a lease, the lease renewed while it runs, and the job removed (or, recurring,
 * rescheduled) when it ends, or rescheduled with backoff when it fails. A job whose instance
 * died is claimed again once its lease runs out. Due times are judged by the service clock;
 * the polling is on a real-time timer, so a test moves a manual clock and waits for a poll.
 */
export class JobRunner implements Worker {
  private readonly owner = randomUUID();
  private claims = 0;
  private readonly kinds = new Map<string, JobKind>();
  /** Jobs running here, by id: their kind and the promise that ends with their write. */
  private readonly running = new Map<string, { kind: string; done: Promise<void> }>();
  /** Ends of jobs that could not be written (database unavailable): written before any new claim. */
  private owed: Write[] = [];
  private ensured = false;
  /** Until stop(); pass() works before start(), which only adds the timer. */
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private readonly outage: ReturnType<typeof outageLog>;

  constructor(private readonly o: JobRunnerOptions) {
    this.outage = outageLog(o.log, 'running jobs');
  }

  register(kind: JobKind): this {
    if (this.kinds.has(kind.kind)) throw new Error(`job kind ${kind.kind} registered twice`);
    this.kinds.set(kind.kind, kind);
    return this;
  }

  start(): void {
    this.stopped = false;
    // Often enough to renew the shortest lease three times before it runs out.
    const leases = [...this.kinds.values()].map((k) => (k.leaseMs ?? DEFAULT_LEASE_MS) / 3);
    this.timer = setInterval(() => this.wake(), Math.min(this.o.pollMs ?? 1_000, ...leases));
    this.timer.unref();
    this.wake();
  }

  /** Looks for due jobs now (after a job was enqueued), unless a look is in progress. */
  wake(): void {
    if (!this.stopped) void this.pass();
  }

  /** Stops claiming, waits for the jobs running here and their writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.passing;
    await Promise.all([...this.running.values()].map((r) => r.done));
    if (this.owed.length === 0) return;
    // Once: if the database is still away, those jobs' claims run out and they run again.
    const owed = this.owed.splice(0);
    await this.o.batcher
      .run((trx) => writeAll(trx, owed))
      .catch((err: unknown) => this.o.log.warn({ err: { message: (err as Error).message }, jobs: owed.length }, 'ends of jobs not written; they run again when their claims run out'));
  }

  /** One look: write what is owed, renew the claims of running jobs, claim due ones and start them. */
  pass(): Promise<void> {
    this.passing ??= this.claimAndStart().finally(() => (this.passing = null));
    return this.passing;
  }

  private async claimAndStart(): Promise<void> {
    const owed = this.owed.splice(0);
    try {
      // Shares a commit with whatever else is being written (batcher.ts), as the delivery worker's claims do.
      const claimed = await this.o.batcher.runSoon(async (trx) => {
        const now = this.o.clock.now();
        if (!this.ensured) for (const k of this.kinds.values()) if (k.everyMs !== undefined) await repo.ensureRecurring(trx, k.kind, k.everyMs, now);
        await writeAll(trx, owed);
        const out: Array<{ kind: JobKind; row: repo.ClaimedJob; token: string; now: number }> = [];
        for (const k of this.kinds.values()) {
          const mine = [...this.running].filter(([, r]) => r.kind === k.kind).map(([id]) => id);
          const leaseMs = k.leaseMs ?? DEFAULT_LEASE_MS;
          // In the claim's transaction: a clock moved past a running job's lease (a test's) must
          // not let this very claim take the job a second time.
          if (mine.length > 0) await repo.jobs.renew(trx, this.owner, mine, now + leaseMs);
          const room = (k.concurrency ?? 1) - mine.length;
          if (this.stopped || room <= 0) continue;
          const token = `${this.owner}:${++this.claims}`;
          const rows = await repo.jobs.claim(trx, { owner: token, now, leaseMs, limit: room, skipLocked: this.o.skipLocked, part: k.kind });
          out.push(...rows.map((row) => ({ kind: k, row, token, now })));
        }
        return out;
      });
      this.ensured = true;
      this.outage.succeeded();
      for (const c of claimed) this.startJob(c.kind, c.row, c.token, c.now);
    } catch (err) {
      this.owed.unshift(...owed);
      this.outage.failed(err);
    }
  }

  private startJob(k: JobKind, row: repo.ClaimedJob, token: string, claimedAt: number): void {
    const job: Job = { id: row.id, kind: row.kind, key: row.key, orgId: row.org_id, attempts: row.attempts, payload: null };
    const done = this.runJob(k, job, row.payload, token, claimedAt).finally(() => this.running.delete(job.id));
    this.running.set(job.id, { kind: k.kind, done });
  }

  private async runJob(k: JobKind, job: Job, payload: string | null, token: string, claimedAt: number): Promise<void> {
    let outcome: 'done' | 'failed' | 'gave_up' = 'done';
    let write: Write;
    try {
      // A payload that does not parse is this job's failure, not the runner's.
      if (payload !== null) job.payload = JSON.parse(payload);
      await k.run(job);
      // From the start, as a timer would: a clock moved while the job ran (a test's) makes it due.
      write = (trx) => (k.everyMs !== undefined ? repo.jobs.reschedule(trx, job.id, claimedAt + k.everyMs, 0, { last_error: null }, token) : repo.remove(trx, job.id, token));
    } catch (err) {
      const attempts = job.attempts + 1;
      const backoff = (k.backoff ?? defaultBackoff)(attempts);
      const delay = k.everyMs !== undefined ? Math.min(backoff ?? k.everyMs, k.everyMs) : backoff;
      outcome = delay === null ? 'gave_up' : 'failed';
      this.reportFailure(job, attempts, delay, err);
      const lastError = String((err as Error)?.message ?? err).slice(0, 1000);
      write =
        delay === null
          ? async (trx) => {
              await repo.remove(trx, job.id, token);
              await k.gaveUp?.(trx, job, err);
            }
          : (trx) => repo.jobs.reschedule(trx, job.id, this.o.clock.now() + delay, attempts, { last_error: lastError }, token);
    }
    this.o.metrics.jobsTotal.inc({ kind: job.kind, outcome });
    try {
      await this.o.batcher.runSoon(write);
    } catch (err) {
      // Kept until the database answers: a recurring job's next time, a one-off job's removal.
      if (databaseUnavailable(err)) this.owed.push(write);
      this.outage.failed(err);
    }
  }

  private reportFailure(job: Job, attempts: number, delay: number | null, err: unknown): void {
    if (databaseUnavailable(err)) {
      this.outage.failed(err);
      return;
    }
    const at = { err, jobId: job.id, kind: job.kind, attempts };
    if (delay === null) this.o.log.error(at, 'job failed; given up');
    else this.o.log.warn({ ...at, retryInMs: delay }, 'job failed; tried again later');
  }
}

async function writeAll(trx: Executor, writes: readonly Write[]): Promise<void> {
  for (const w of writes) await w(trx);
}
