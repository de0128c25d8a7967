import { describe, expect, it } from 'vitest';
import { type Worker, Workers } from '../../src/jobs/workers.js';
import { createLogger } from '../../src/log.js';

describe('Workers', () => {
  it('starts every worker, and stops them one after the other in the order registered, each after the one before finished', async () => {
    const seen: string[] = [];
    const worker = (name: string, fail = false): Worker => ({
      start: () => void seen.push(`start ${name}`),
      stop: async () => {
        seen.push(`stop ${name}`);
        await new Promise((r) => setImmediate(r));
        seen.push(`stopped ${name}`);
        if (fail) throw new Error('stuck');
      },
    });
    const lines: string[] = [];
    const workers = new Workers(createLogger('info', { write: (l: string) => void lines.push(l) })).add('delivery', worker('delivery', true)).add('jobs', worker('jobs'));
    workers.start();
    await workers.stop();
    expect(seen).toEqual(['start delivery', 'start jobs', 'stop delivery', 'stopped delivery', 'stop jobs', 'stopped jobs']);
    // A worker that fails to stop is logged; the next is stopped all the same.
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ worker: 'delivery', msg: 'stopping a worker failed' })]);
    expect(() => workers.add('late', worker('late'))).toThrow(/after start/);
  });
});
