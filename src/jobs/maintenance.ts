import type { TxBatcher } from '../db/batcher.js';
import type { Executor } from '../db/schema.js';
import type { JobKind } from './runner.js';

/** Removes what is past its time (idempotency keys, rate-limit counters, console sessions, webhook attempts), once a minute. */
export function maintenanceJob(o: { batcher: TxBatcher; prune: Array<{ prune(ex: Executor): Promise<unknown> }> }): JobKind {
  return {
    kind: 'maintenance.prune',
    everyMs: 60_000,
    run: () =>
      o.batcher.run(async (trx) => {
        for (const p of o.prune) await p.prune(trx);
      }),
  };
}
