import { describe, expect, it } from 'vitest';
import { OutcomeWriter, type OutcomeWriterOptions } from '../../src/delivery/outcome-writer.js';
import { createLogger } from '../../src/log.js';

// The delivery worker writes each message's outcome through the batcher (outcome-writer.ts). A write that fails
// before its transaction ran (no connection) must not be queued again at once: a handle that
// fails at once would then fail forever without the event loop ever turning (a worker process
// spinning at full CPU, holding whatever else it had open).

function workerWith(fail: () => Error) {
  let writes = 0;
  const batcher = {
    runSoon: () => {
      writes++;
      return Promise.reject(fail());
    },
  };
  let retried = 0;
  const writer = new OutcomeWriter({ batcher, log: createLogger('silent'), onWaiting: () => {}, onRetried: () => retried++ } as unknown as OutcomeWriterOptions);
  const outcome = (id: string) => writer.write({ id, orgId: 'org', to: 'pat@example.com', attempts: 1, outcome: { kind: 'sent', response: '250 ok' } as never });
  return { outcome, writes: () => writes, retried: () => retried, writer };
}

const turns = (n: number) => new Promise((r) => setTimeout(r, n));

describe('delivery outcomes whose write fails before it runs', () => {
  it('are given up, once, when the database handle was closed (shutdown): nothing can be written through it', async () => {
    const w = workerWith(() => new Error('driver has already been destroyed'));
    await expect(w.outcome('m1')).rejects.toThrow('destroyed');
    await turns(50);
    expect(w.writes()).toBe(1);
  });

  it('are kept and tried again after a pause on any other failure, not at once', async () => {
    let failure = new Error('something odd');
    const w = workerWith(() => failure);
    const written = w.outcome('m2');
    await turns(50);
    expect(w.writes()).toBe(1);
    expect(w.writer.retrying, 'the worker claims nothing while outcomes wait').toBe(true);
    // Kept: the next try (after its pause) is the one that finds the handle closed.
    failure = new Error('driver has already been destroyed');
    await expect(written).rejects.toThrow('destroyed');
    expect(w.writes()).toBe(2);
    expect(w.retried(), 'the worker was woken to claim again').toBe(1);
  });
});
