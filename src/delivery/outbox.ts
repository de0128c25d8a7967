import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import * as repo from './outbox.repo.js';

/** What the send path needs from delivery: put a message in the outbox, and nudge the worker. */
export interface DeliveryQueue {
  enqueue(ex: Executor, messageId: string, orgId: string): Promise<void>;
  wake(): void;
}

export function createDeliveryQueue(clock: Clock): DeliveryQueue & { onWake(fn: () => void): void } {
  let listener: (() => void) | null = null;
  return {
    async enqueue(ex, messageId, orgId) {
      await repo.insert(ex, messageId, orgId, clock.now());
    },
    wake: () => listener?.(),
    onWake: (fn) => {
      listener = fn;
    },
  };
}
