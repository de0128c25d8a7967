import type { Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import * as repo from './outbox.repo.js';

/** What the send path needs from delivery: put a message in the outbox, and nudge the worker. */
export interface DeliveryQueue {
  /** `at`: when delivery may begin (ms); now when absent. */
  enqueue(ex: Executor, messageId: string, orgId: string, at?: number): Promise<void>;
  wake(): void;
}

export function createDeliveryQueue(clock: Clock): DeliveryQueue & { onWake(fn: () => void): void } {
  let listener: (() => void) | null = null;
  return {
    async enqueue(ex, messageId, orgId, at) {
      await repo.insert(ex, messageId, orgId, at ?? clock.now());
    },
    wake: () => listener?.(),
    onWake: (fn) => {
      listener = fn;
    },
  };
}
