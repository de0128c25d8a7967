import { describe, expect, it } from 'vitest';
import { StatementNames } from '../../src/db/postgres.js';

describe('StatementNames (PostgreSQL prepared statements)', () => {
  it('names a text once it recurs, and keeps that name', () => {
    const names = new StatementNames();
    const text = 'select * from "jobs" where "id" = $1';
    expect([names.nameOf(text), names.nameOf(text)]).toEqual([undefined, undefined]);
    const name = names.nameOf(text);
    expect(name).toMatch(/^tl_\d+$/);
    expect(names.nameOf(text)).toBe(name);
    expect(names.nameOf('select 1 where $1 = 1')).toBeUndefined();
  });

  it('gives a text whose plan no longer fits a new name, never one used before', () => {
    const names = new StatementNames();
    const text = 'select * from "jobs" where "id" = $1';
    for (let i = 0; i < 3; i++) names.nameOf(text);
    const first = names.nameOf(text);
    names.forget(text);
    for (let i = 0; i < 2; i++) expect(names.nameOf(text)).toBeUndefined();
    const second = names.nameOf(text);
    expect(second).toMatch(/^tl_\d+$/);
    expect(second).not.toBe(first);
  });

  it('stops naming new texts at its bound, so each connection keeps a bounded number of plans', () => {
    const names = new StatementNames();
    const named = new Set<string>();
    for (let t = 0; t < 1000; t++) {
      for (let i = 0; i < 3; i++) {
        const name = names.nameOf(`select ${t} where $1 = 1`);
        if (name) named.add(name);
      }
    }
    expect(named.size).toBeGreaterThan(0);
    expect(named.size).toBeLessThan(1000);
    expect(names.nameOf('select 0 where $1 = 1')).toBeDefined();
  });
});
