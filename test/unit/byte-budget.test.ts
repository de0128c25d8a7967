import { describe, expect, it } from 'vitest';
import { byteBudget } from '../../src/threads/byte-budget.js';

// The budget that keeps large messages from being parsed or rendered all at once.

/** Work that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const work = async () => {
    log.push(`start ${name}`);
    await done;
    return name;
  };
  return { work, release };
}

describe('byteBudget', () => {
  it('runs work that fits at once, and the rest in arrival order as bytes come free', async () => {
    const budget = byteBudget(10);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const runs = [budget.run(6, a!.work), budget.run(4, b!.work), budget.run(5, c!.work), budget.run(1, d!.work)];
    await Promise.resolve();
    // c does not fit, and d, though small, waits behind it: no large input starves.
    expect(log).toEqual(['start a', 'start b']);
    a!.release();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d']);
    b!.release();
    c!.release();
    d!.release();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('runs an input larger than the whole budget alone, and frees the budget when work fails', async () => {
    const budget = byteBudget(10);
    const log: string[] = [];
    const big = gate(log, 'big');
    const small = gate(log, 'small');
    const runs = [budget.run(50, big.work), budget.run(1, small.work)];
    await Promise.resolve();
    expect(log).toEqual(['start big']);
    big.release();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start big', 'start small']);
    small.release();
    await runs[1];
    await expect(budget.run(10, async () => Promise.reject(new Error('parse failed')))).rejects.toThrow('parse failed');
    await expect(budget.run(10, async () => 'after')).resolves.toBe('after');
  });
});
