import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';

/**
 * The one cache shape in threadline: at most `max` entries, least recently used evicted first,
 * each kept `ttlMs` on the service's clock (tests move it; 0 keeps entries until evicted).
 * Every key may come from outside (a recipient domain any SMTP client names, a token), so no
 * cache may grow with what clients send. Values may be null: "no such domain" is worth
 * remembering too.
 */
export class TtlCache<K extends string, V> {
  private readonly lru: LRUCache<K, { value: V }>;

  constructor(o: { max: number; ttlMs: number; clock?: Clock }) {
    this.lru = new LRUCache<K, { value: V }>({
      max: o.max,
      ...(o.ttlMs > 0 ? { ttl: o.ttlMs } : {}),
      // The clock is read on every check (ttlResolution 0): a test that moves it expects the
      // next read to see the new time.
      ...(o.clock ? { perf: { now: () => o.clock!.now() }, ttlResolution: 0 } : {}),
    });
  }

  /** The value, or undefined when there is none or it expired. */
  get(key: K): V | undefined {
    return this.lru.get(key)?.value;
  }

  has(key: K): boolean {
    return this.lru.has(key);
  }

  /** `ttlMs`: this entry's own time to live, instead of the cache's. */
  set(key: K, value: V, ttlMs?: number): void {
    this.lru.set(key, { value }, ttlMs === undefined ? undefined : { ttl: ttlMs });
  }

  delete(key: K): void {
    this.lru.delete(key);
  }

  /** Forgets every entry whose key `pick` chooses (one client's tokens, say). */
  deleteWhere(pick: (key: K) => boolean): void {
    for (const key of [...this.lru.keys()]) if (pick(key)) this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  /**
   * The cached value, else `load()`'s, remembered. Loads of one key at the same moment are not
   * merged: each is a small read, and a failed load caches nothing.
   */
  async getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.lru.get(key);
    if (hit) return hit.value;
    const value = await load();
    this.lru.set(key, { value });
    return value;
  }
}
