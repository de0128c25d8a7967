import { describe, expect, it } from 'vitest';
import { hasAnyPermission, intersectPermissions, notHeld } from '../../src/auth/permissions.js';

describe('what a grantor may hand out', () => {
  it.each([
    [['*:*:*'], ['*:*:*', 'routing:queue:edit'], []],
    [['routing:*:view'], ['routing:queue:view', 'routing:email:view', 'routing:*:view'], []],
    [['routing:queue:view'], ['routing:queue:*'], ['routing:queue:*']],
    [['routing:queue:view'], ['*:*:*'], ['*:*:*']],
    [['routing:*:view'], ['routing:queue:edit', 'routing:queue:view'], ['routing:queue:edit']],
    [['oauth:client:edit'], ['oauth:client:edit', 'directory:organizationLimits:edit'], ['directory:organizationLimits:edit']],
    [[], ['routing:queue:view'], ['routing:queue:view']],
  ])('%j may not give, of %j: %j', (held, requested, missing) => {
    expect(notHeld(held, requested)).toEqual(missing);
  });
});

describe('the permissions both sides hold', () => {
  it.each([
    [['*:*:*'], ['routing:queue:view'], ['routing:queue:view']],
    [['routing:queue:view'], ['*:*:*'], ['routing:queue:view']],
    [['routing:*:*'], ['*:queue:view', 'directory:organization:view'], ['routing:queue:view']],
    [['routing:*:view'], ['*:queue:*'], ['routing:queue:view']],
    [['routing:queue:view'], ['routing:queue:edit'], []],
    [['a:b:c', 'd:e:f'], ['*:*:*'], ['a:b:c', 'd:e:f']],
    [['not a permission'], ['*:*:*'], []],
  ])('%j and %j: %j', (a, b, both) => {
    expect(intersectPermissions(a, b)).toEqual(both);
  });

  it('covers exactly what each side covers, for every permission of a small universe', () => {
    const words = [
      ['routing', 'directory'],
      ['queue', 'email'],
      ['view', 'edit'],
    ];
    const universe = words[0]!.flatMap((d) => words[1]!.flatMap((e) => words[2]!.map((a) => `${d}:${e}:${a}`)));
    const sides = [['*:*:*'], ['routing:*:*', '*:email:view'], ['*:queue:*'], ['directory:email:edit', 'routing:queue:view'], []];
    for (const a of sides) {
      for (const b of sides) {
        const both = intersectPermissions(a, b);
        for (const p of universe) expect(hasAnyPermission(both, [p]), `${a} ∩ ${b} ∋ ${p}`).toBe(hasAnyPermission(a, [p]) && hasAnyPermission(b, [p]));
      }
    }
  });
});
