import { describe, expect, it } from 'vitest';
import { setOutcomes } from '../../src/conversations/conversations.repo.js';
import { recording } from '../helpers/recording-db.js';

const outcomes = ['a', 'b', 'c'].map((id, i) => ({ id, status: 'sent', last_response: `250 2.0.0 queued as ${id}`, attempts: i + 1 }));

describe('delivery outcomes on their message rows', () => {
  it('on PostgreSQL, writes a batch in one statement (one round trip), each row with its own values', async () => {
    const { db, ran } = recording('postgres');
    await setOutcomes(db, 1_000, outcomes);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.sql).toMatch(/^update messages/);
    expect(ran[0]!.parameters).toEqual([1_000, ['a', 'b', 'c'], ['sent', 'sent', 'sent'], outcomes.map((o) => o.last_response), [1, 2, 3]]);
  });

  it('on SQLite, runs the one-row update for each', async () => {
    const { db, ran } = recording('sqlite');
    await setOutcomes(db, 1_000, outcomes);
    expect(ran.map((q) => q.parameters.at(-1))).toEqual(['a', 'b', 'c']);
  });
});
