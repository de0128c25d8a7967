import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compiled, compiledInsertRows } from '../../src/db/compiled.js';
import { recording } from '../helpers/recording-db.js';

const reschedule = compiled<{ id: string; at: number; attempts: number }>((ex, v) =>
  ex.updateTable('outbox').set({ next_attempt_at: v.at, attempts: v.attempts, claimed_by: null }).where('message_id', '=', v.id),
);

describe('compiled()', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`binds each run's values in the order ${dialect} numbers its parameters`, async () => {
      const { db, ran } = recording(dialect);
      await reschedule(db, { id: 'm1', at: 10, attempts: 1 });
      await db.transaction().execute((trx) => reschedule(trx, { id: 'm2', at: 20, attempts: 2 }));
      const direct = db.updateTable('outbox').set({ next_attempt_at: 20, attempts: 2, claimed_by: null }).where('message_id', '=', 'm2').compile();
      const runs = ran.filter((q) => q.sql.startsWith('update'));
      expect(runs.map((q) => q.parameters)).toEqual([
        [10, 1, null, 'm1'],
        [20, 2, null, 'm2'],
      ]);
      expect(runs[1]!.sql).toBe(direct.sql);
    });
  }

  it('builds a statement once for each dialect, whatever database or transaction runs it', async () => {
    let builds = 0;
    const release = compiled<{ id: string }>((ex, v) => {
      builds++;
      return ex.updateTable('outbox').set({ claimed_by: null }).where('message_id', '=', v.id);
    });
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const { db, ran } = recording(dialect);
      await release(db, { id: 'a' });
      await db.transaction().execute((trx) => release(trx, { id: 'b' }));
      const other = recording(dialect);
      await release(other.db, { id: 'c' });
      const direct = db.updateTable('outbox').set({ claimed_by: null }).where('message_id', '=', 'c').compile();
      expect(other.ran.map((q) => [q.sql, q.parameters])).toEqual([[direct.sql, [null, 'c']]]);
      expect(ran.filter((q) => q.sql.startsWith('update')).map((q) => q.parameters)).toEqual([
        [null, 'a'],
        [null, 'b'],
      ]);
    }
    expect(builds).toBe(2);
  });

  it('refuses a value used where it cannot be a parameter (inlined, or only looked at)', async () => {
    const { db } = recording('sqlite');
    const inlined = compiled<{ label: string }>((ex, v) => ex.selectFrom('outbox').select(sql.lit(v.label).as('label')));
    await expect(inlined(db, { label: 'a' })).rejects.toThrow(/did not become a parameter/);
    const dropped = compiled<{ id: string; unused: string }>((ex, v) =>
      ex
        .selectFrom('outbox')
        .select('message_id')
        .where('message_id', '=', v.id)
        .$if(v.unused === '', (q) => q),
    );
    await expect(dropped(db, { id: 'a', unused: '' })).rejects.toThrow(/unused did not become a parameter/);
  });

  it('compiledInsertRows() writes any number of rows in one statement, and nothing for none', async () => {
    const { db, ran } = recording('sqlite');
    const insert = compiledInsertRows('message_events', { id: true, message_id: true, status: true, at: true, smtp_response: true, detail: true });
    const row = (id: string) => ({ id, message_id: 'm', status: 'sent', at: 1, smtp_response: '250 ok', detail: null });
    await insert(db, []);
    await insert(db, [row('e1')]);
    await insert(db, [row('e2'), row('e3')]);
    expect(ran.map((q) => q.parameters)).toEqual([
      ['e1', 'm', 'sent', 1, '250 ok', null],
      ['e2', 'm', 'sent', 1, '250 ok', null, 'e3', 'm', 'sent', 1, '250 ok', null],
    ]);
    expect(ran[1]!.sql).toMatch(/^insert into "message_events" .* values \(\?, \?, \?, \?, \?, \?\), \(\?, \?, \?, \?, \?, \?\)$/);
  });
});
