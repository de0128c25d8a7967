import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from '../../src/jobs/backoff.js';

describe('exponentialBackoff', () => {
  it('doubles from the base up to the cap, and gives up after the limit', () => {
    const b = exponentialBackoff({ baseMs: 1_000, maxMs: 5_000, limit: 5, jitter: 0 });
    expect([1, 2, 3, 4, 5].map(b)).toEqual([1_000, 2_000, 4_000, 5_000, null]);
  });

  it('spreads jobs that failed together over up to a fifth of the delay, never beyond it', () => {
    const at = (r: number) => exponentialBackoff({ baseMs: 1_000, random: () => r })(3);
    expect([at(0), at(0.5), at(0.999999)]).toEqual([4_000, 3_600, 3_200]);
    const delays = new Set(Array.from({ length: 50 }, () => exponentialBackoff({ baseMs: 1_000 })(3)));
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) expect(d! >= 3_200 && d! <= 4_000).toBe(true);
  });
});
