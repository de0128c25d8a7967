import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from '../../src/http/json-depth.js';

const deeper = (text: string, max: number) => jsonNestsDeeperThan(Buffer.from(text), max);

describe('JSON nesting depth', () => {
  it.each([
    ['{}', 1, false],
    ['{"a":[{}]}', 3, false],
    ['{"a":[{}]}', 2, true],
    ['[[],[],[]]', 2, false],
    ['[[[]]]', 2, true],
    ['"[[[[[["', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['{"a":"\\\\"}', 1, false],
    ['{"a":"\\\\","b":[[[]]]}', 2, true],
    ['"unterminated [[[[', 1, false],
    ['', 1, false],
  ])('%s deeper than %i: %s', (text, max, expected) => {
    expect(deeper(text, max)).toBe(expected);
  });

  it('stops at the first level past the bound, whatever follows', () => {
    expect(deeper(`${'['.repeat(33)}${'x'.repeat(1000)}`, 32)).toBe(true);
    expect(deeper(`${'['.repeat(32)}${']'.repeat(32)}`, 32)).toBe(false);
  });
});
