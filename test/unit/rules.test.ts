import { describe, expect, it } from 'vitest';
import { hasAnyPermission } from '../../src/auth/permissions.js';
import { signAccessToken, verifyAccessToken } from '../../src/auth/secrets.js';
import { classifyError, DeliveryError, nextRetryDelay } from '../../src/delivery/classify.js';
import { addressProblem } from '../../src/mail/address.js';
import { estimate, retryAfterSeconds } from '../../src/ratelimit/sliding-window.js';

describe('permissions', () => {
  it.each([
    [['conversation:agentlessEmail:send'], 'conversation:agentlessEmail:send', true],
    [['conversation:*:send'], 'conversation:agentlessEmail:send', true],
    [['*:*:*'], 'routing:queue:edit', true],
    [['conversation:email:view'], 'conversation:email:create', false],
    [['conversation:email'], 'conversation:email:view', false],
    [[], 'conversation:email:view', false],
  ])('%j grants %s: %s', (granted, wanted, expected) => {
    expect(hasAnyPermission(granted, [wanted])).toBe(expected);
  });
});

describe('access tokens', () => {
  const key = Buffer.alloc(32, 7);
  it('verify until they expire, and not with another key', () => {
    const t = signAccessToken(key, { clientId: 'c', orgId: 'o', expiresAt: 2000 });
    expect(verifyAccessToken(key, t, 1999)).toEqual({ clientId: 'c', orgId: 'o', expiresAt: 2000 });
    expect(verifyAccessToken(key, t, 2000)).toBeNull();
    expect(verifyAccessToken(Buffer.alloc(32, 8), t, 1000)).toBeNull();
    expect(verifyAccessToken(key, 'tl1.e30.x', 1000)).toBeNull();
  });
});

describe('delivery outcomes', () => {
  it('treats only 5xx replies as permanent', () => {
    expect(classifyError(Object.assign(new Error('x'), { responseCode: 550, response: '550 5.1.1 unknown user' }))).toEqual({ kind: 'failed', response: '550 5.1.1 unknown user' });
    expect(classifyError(Object.assign(new Error('x'), { responseCode: 421, response: '421 busy' })).kind).toBe('deferred');
    expect(classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }))).toEqual({ kind: 'deferred', response: 'ESOCKET: connect ECONNREFUSED' });
    expect(classifyError(new DeliveryError(true, '556 null MX')).kind).toBe('failed');
  });
  it('follows the retry schedule, then gives up', () => {
    expect([1, 2, 3, 4].map((n) => nextRetryDelay([60, 300, 900], n))).toEqual([60, 300, 900, null]);
  });
});

describe('sliding-window rate limit', () => {
  const W = 60_000;
  it('weights the previous window by how much of it still overlaps', () => {
    expect(estimate(600, 0, 10 * W)).toBe(600);
    expect(estimate(600, 0, 10 * W + W / 2)).toBe(300);
    expect(estimate(600, 100, 10 * W + W / 4)).toBe(550);
  });
  it('says when the next send fits', () => {
    // 600 sent in the previous window, none now, 30 s in: the estimate (300) is under 600 already.
    expect(retryAfterSeconds(600, 600, 600, 10 * W)).toBe(61);
    // Half-way through, 300 of the previous window remain and the current one holds 300.
    expect(retryAfterSeconds(600, 300, 600, 10 * W + W / 2)).toBe(1);
  });
  it('works the same over a longer window', () => {
    const L = 15 * W;
    expect(estimate(10, 0, 4 * L + L / 2, L)).toBe(5);
    // 10 failures at the start of a window, limit 10: the 11th fits once a tenth of them slid out.
    expect(retryAfterSeconds(0, 10, 10, 4 * L, L)).toBe(900 + 90);
  });
});

describe('address rules', () => {
  it.each([
    ['pat@example.com', null],
    ['pat.o+tag@sub.example.com', null],
    ['pat@example', 'domain is not a valid domain name'],
    ['pat@-example.com', 'domain is not a valid domain name'],
    ['.pat@example.com', 'local part has characters that are not allowed'],
    ['pat..x@example.com', 'local part has characters that are not allowed'],
    ['a!b@example.com', 'local part must not contain % or ! (source routing is not accepted)'],
  ])('%s → %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem);
  });
});
