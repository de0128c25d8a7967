import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../src/cache.js';
import { manualClock } from '../../src/clock.js';

describe('TtlCache', () => {
  it('forgets an entry once its time on the clock has passed, and keeps null answers', () => {
    const clock = manualClock();
    const c = new TtlCache<string, string | null>({ max: 10, ttlMs: 1_000, clock });
    c.set('unknown.example.com', null);
    c.set('replies.example.com', 'org-1');
    clock.advance(1_000);
    expect(c.get('unknown.example.com')).toBeNull();
    expect(c.get('replies.example.com')).toBe('org-1');
    clock.advance(1);
    expect(c.get('unknown.example.com')).toBeUndefined();
    expect(c.has('replies.example.com')).toBe(false);
  });

  it('holds at most max entries, evicting the least recently used', () => {
    const c = new TtlCache<string, number>({ max: 3, ttlMs: 0 });
    for (const k of ['a', 'b', 'c']) c.set(k, k.charCodeAt(0));
    c.get('a');
    c.set('d', 4);
    expect(c.size).toBe(3);
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.get('d')]).toEqual([97, 99, 4]);
  });

  it('lets one entry live shorter than the rest, and forgets by key pattern', () => {
    const clock = manualClock();
    const c = new TtlCache<string, string>({ max: 10, ttlMs: 60_000, clock });
    c.set('client-1', 'x');
    c.set('client-1/user-1', 'y');
    c.set('client-2', 'z', 10);
    clock.advance(11);
    expect(c.get('client-2')).toBeUndefined();
    c.deleteWhere((k) => k === 'client-1' || k.startsWith('client-1/'));
    expect(c.size).toBe(0);
  });

  it('loads once and remembers; a failed load caches nothing', async () => {
    const c = new TtlCache<string, number>({ max: 10, ttlMs: 0 });
    let loads = 0;
    expect(await c.getOrLoad('k', async () => ++loads)).toBe(1);
    expect(await c.getOrLoad('k', async () => ++loads)).toBe(1);
    await expect(c.getOrLoad('bad', () => Promise.reject(new Error('database unreachable')))).rejects.toThrow('database unreachable');
    expect(c.has('bad')).toBe(false);
  });
});
