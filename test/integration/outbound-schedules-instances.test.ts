import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { type Running, start } from '../../src/main.js';
import { atEnd } from '../helpers/cleanup.js';
import { configuration, contact, template } from '../helpers/outbound.js';
import { pool, startService, waitFor } from '../helpers/service.js';

// Two instances on one database, both running schedules: each due time sends once. In the
// integration-pg project the second instance is a second service on the same PostgreSQL
// database; SQLite is one process by design (a second process would not share its file), so
// there the two "instances" are the one service racing itself.

describe('schedules on two instances', () => {
  it('send each due time once, whether the job runners or two direct runs race for it', async () => {
    const clock = manualClock(Date.UTC(2026, 11, 1, 12));
    const a = await startService({}, { clock });
    let b: Running = a.running;
    if (a.running.config.databaseUrl.startsWith('postgres')) {
      b = await start(a.running.config, createLogger('silent'), { clock, pollMs: 50 });
      atEnd(() => b.stop());
    }
    const t = await a.api('POST', '/api/v2/outbound/templates', { body: template() });
    const cfg = (await a.api('POST', '/api/v2/outbound/configurations', { body: configuration(a.init.senderDomain, t.body.id) })).body.id as string;
    const orgId = a.init.orgId;
    const sentTo = async (to: string) =>
      Number(
        (
          await a.running.services.batcher.run((trx) =>
            trx
              .selectFrom('messages')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('to_email', '=', to)
              .executeTakeFirstOrThrow(),
          )
        ).n,
      );

    // Twenty schedules due at the same time, claimed by whichever runner polls first.
    const ids = await pool(20, 5, async (i) => {
      const res = await a.api('POST', '/api/v2/outbound/schedules', { body: { configurationId: cfg, contactList: [contact(`twice-${i}@example.com`)], delaySeconds: 60 } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.id as string;
    });
    // Run directly by both instances at once, before its time: one run sends, the other finds it taken.
    const raced = await a.api('POST', '/api/v2/outbound/schedules', { body: { configurationId: cfg, contactList: [contact('raced@example.com')], delaySeconds: 3600 } });
    const payload = { scheduleId: raced.body.id as string, dueAt: Date.parse(raced.body.nextRunAt) };
    await Promise.all([a.running.services.schedules.fire(orgId, payload), b.services.schedules.fire(orgId, payload)]);
    expect(await sentTo('raced@example.com')).toBe(1);

    clock.advance(3_600_000);
    const runs = () => Promise.all([...ids, raced.body.id].map(async (id) => (await b.services.schedules.get(orgId, id)).runs));
    await waitFor(async () => ((await runs()).every((n) => n === 1) ? true : undefined), 20_000, 'every schedule to run once');
    // The raced schedule's job has run too, and found its due time taken.
    const jobs = () => a.running.services.batcher.run((trx) => trx.selectFrom('jobs').select('id').where('kind', '=', 'outbound.schedule').execute());
    await waitFor(async () => ((await jobs()).length === 0 ? true : undefined), 20_000, 'every schedule job to finish');
    expect(await Promise.all(ids.map((_, i) => sentTo(`twice-${i}@example.com`)))).toEqual(ids.map(() => 1));
    expect(await sentTo('raced@example.com')).toBe(1);
    expect(await runs()).toEqual([...ids, raced.body.id].map(() => 1));
  });
});
