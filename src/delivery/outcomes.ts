import type { BouncesService } from '../bounces/bounces.service.js';
import type { Clock } from '../clock.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { Executor } from '../db/schema.js';
import { nextRetryDelay, type Outcome } from './classify.js';
import * as outbox from './outbox.repo.js';

/** A delivery attempt's outcome, waiting to be written (worker.ts batches them). */
export interface PendingOutcome {
  id: string;
  orgId: string;
  /** The recipient, whose relay or MX a deferral may wait for. */
  to: string;
  attempts: number;
  outcome: Outcome;
  resolve(status: string): void;
  reject(err: unknown): void;
}

/**
 * Writes outcomes; returns the status recorded for each (a deferral past the last retry is
 * `failed`) and the targets that deferred messages now wait for.
 */
export async function writeOutcomes(
  trx: Executor,
  items: PendingOutcome[],
  o: {
    retrySchedule: readonly number[];
    clock: Clock;
    conversations: ConversationsService;
    targetOf?(recipient: string): string | null;
    bounces?: Pick<BouncesService, 'deliveryFailed'>;
  },
): Promise<{ statuses: string[]; waitingFor: Set<string> }> {
  const changes = [];
  const waitingFor = new Set<string>();
  const failed: Array<{ m: { id: string; org_id: string; to_email: string; attempts: number }; response: string; retriesUsedUp: boolean }> = [];
  for (const { id, orgId, to, attempts, outcome } of items) {
    let status: string = outcome.kind;
    let detail: string | null = null;
    if (outcome.kind === 'deferred') {
      const delay = nextRetryDelay(o.retrySchedule, attempts);
      if (delay === null) {
        status = 'failed';
        detail = `gave up after ${attempts} attempts`;
        failed.push({ m: { id, org_id: orgId, to_email: to, attempts }, response: outcome.response, retriesUsedUp: true });
      } else {
        // Unreachable: tried again at the retry delay, or as soon as the target answers a probe.
        const target = outcome.unreachable ? (o.targetOf?.(to) ?? null) : null;
        if (target) waitingFor.add(target);
        detail = `next attempt in ${delay} s${target ? ` or once ${target} answers` : ''}`;
        await outbox.reschedule(trx, id, o.clock.now() + delay * 1000, attempts, target);
      }
    }
    if (outcome.kind === 'failed') failed.push({ m: { id, org_id: orgId, to_email: to, attempts }, response: outcome.response, retriesUsedUp: false });
    changes.push({ id, status, response: outcome.response, detail, attempts });
  }
  await outbox.remove(
    trx,
    changes.filter((c) => c.status !== 'deferred').map((c) => c.id),
  );
  await o.conversations.setDeliveryStatus(trx, changes);
  for (const f of failed) await o.bounces?.deliveryFailed(trx, f.m, f.response, f.retriesUsedUp);
  return { statuses: changes.map((c) => c.status), waitingFor };
}
