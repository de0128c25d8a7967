import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { LARGE_GARBAGE_BYTES, leftGarbage } from '../../src/threads/large-garbage.js';

// Dead copies of large messages must not stay resident until V8 decides to collect them.

const MB = 1024 * 1024;
const largeObjects = () => getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space')!.space_used_size;

/** Strings of `size` characters decoded from bytes, as a request body is: each in the large-object space. */
function largeStrings(count: number, size: number): string[] {
  const decoder = new TextDecoder();
  return Array.from({ length: count }, (_, i) => decoder.decode(Buffer.alloc(size, `${i}x`)));
}

async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('leftGarbage', () => {
  it('has the heap collected once a few large inputs are done, and their copies leave memory', async () => {
    let held: string[] | null = largeStrings(16, 3 * MB);
    const before = largeObjects();
    expect(before).toBeGreaterThan(24 * MB);
    expect(held.length).toBe(16);
    held = null;
    for (let done = 0; done < LARGE_GARBAGE_BYTES; done += 3 * MB) leftGarbage(3 * MB);
    expect(await within(5_000, () => largeObjects() < before - 24 * MB)).toBe(true);
  });
});
