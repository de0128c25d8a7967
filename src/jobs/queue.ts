import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import { insert, type NewJob } from './jobs.repo.js';

/** What services need from the job runner: add a job inside their transaction, then nudge the runner. */
export interface JobQueue {
  /** Due at `runAt` (default now); false when its kind already has a job with this key. */
  enqueue(ex: Executor, job: Omit<NewJob, 'runAt'> & { runAt?: number }): Promise<boolean>;
  /** After the transaction that enqueued committed: look for due jobs now rather than at the next poll. */
  wake(): void;
}

export function createJobQueue(clock: Clock): JobQueue & { onWake(fn: () => void): void } {
  let listener: (() => void) | null = null;
  return {
    enqueue: (ex, job) => {
      const now = clock.now();
      return insert(ex, { ...job, runAt: job.runAt ?? now }, now);
    },
    wake: () => listener?.(),
    onWake: (fn) => {
      listener = fn;
    },
  };
}
