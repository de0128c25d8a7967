import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { start } from '../../src/main.js';
import { atEnd } from '../helpers/cleanup.js';
import { configuration, contact, template } from '../helpers/outbound.js';
import { startService, type TestService, waitFor } from '../helpers/service.js';

// Schedules of outbound invocations on the job runner: once, after a delay, or by a cron
// expression in a time zone. The service's clock is a manual one: a test moves it past a due
// time and waits for the runner's next poll to send.

// Starts the day before the clocks go back in Helsinki (2026-10-25); only ever moved forward.
const clock = manualClock(Date.UTC(2026, 9, 24, 12));
let svc: TestService;

beforeAll(async () => {
  svc = await startService({}, { clock });
});

async function newConfiguration(s: TestService): Promise<string> {
  const t = await s.api('POST', '/api/v2/outbound/templates', { body: template() });
  const c = await s.api('POST', '/api/v2/outbound/configurations', { body: configuration(s.init.senderDomain, t.body.id) });
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  return c.body.id as string;
}
const schedule = (s: TestService, body: Record<string, unknown>) => s.api('POST', '/api/v2/outbound/schedules', { body });
const runsOf = (id: string) => svc.running.services.batcher.run((trx) => trx.selectFrom('outbound_schedule_runs').select('due_at').where('schedule_id', '=', id).orderBy('due_at').execute());
const sentTo = async (address: string) =>
  Number(
    (
      await svc.running.services.batcher.run((trx) =>
        trx
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('to_email', '=', address)
          .executeTakeFirstOrThrow(),
      )
    ).n,
  );
/** Moves the clock to `iso` and waits until the schedule has run `runs` due times. */
async function at(iso: string, id: string, runs: number) {
  clock.set(Date.parse(iso));
  await svc.newToken();
  return waitFor(
    async () => {
      const got = await svc.api('GET', `/api/v2/outbound/schedules/${id}`);
      return got.body.runs === runs ? got.body : undefined;
    },
    10_000,
    `schedule ${id} to have run ${runs} time(s)`,
  );
}

describe('outbound schedules', () => {
  it('refuses what could not run, naming the field', async () => {
    const id = await newConfiguration(svc);
    const list = [contact('refused@example.com')];
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ configurationId: id, contactList: list }, 'runAt'],
      [{ configurationId: id, contactList: list, runAt: '2027-03-28T09:00:00Z', cron: '0 9 * * *' }, 'cron'],
      [{ configurationId: id, contactList: list, delaySeconds: 60, timeZone: 'Europe/Helsinki' }, 'timeZone'],
      [{ configurationId: id, contactList: list, cron: '0 9 * * *', timeZone: 'Europe/Atlantis' }, 'timeZone'],
      [{ configurationId: id, contactList: list, cron: '61 9 * * *' }, 'cron'],
      [{ configurationId: id, contactList: list, cron: '* * * * * *' }, 'cron'],
      [{ configurationId: id, contactList: list, runAt: '2027-03-28T09:00:00' }, 'runAt'],
      [{ configurationId: id, contactList: list, runAt: '2020-01-01T00:00:00Z' }, 'runAt'],
      [{ configurationId: id, contactList: list, delaySeconds: -1 }, 'delaySeconds'],
      [{ configurationId: id, contactList: Array.from({ length: 101 }, (_, i) => contact(`c${i}@example.com`)), delaySeconds: 60 }, 'contactList'],
      [{ configurationId: id, contactList: [contact('x@example.com', { optin: 'maybe' })], delaySeconds: 60 }, 'contactList[0].optin'],
      [{ configurationId: '01a20000-0000-7000-8000-000000000000', contactList: list, delaySeconds: 60 }, 'configurationId'],
    ];
    for (const [body, field] of cases) {
      const res = await schedule(svc, body);
      expect([res.status, res.body.details?.[0]?.fieldName], JSON.stringify(body)).toEqual([400, field]);
    }
    expect((await svc.api('GET', '/api/v2/outbound/schedules')).body.entities.filter((s: { configurationId: string }) => s.configurationId === id)).toEqual([]);
  });

  it('sends once after a delay, then is done; listed newest first', async () => {
    const id = await newConfiguration(svc);
    const created = await schedule(svc, { configurationId: id, contactList: [contact('delay@example.com')], delaySeconds: 3600 });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.nextRunAt).toBe(new Date(clock.now() + 3_600_000).toISOString());
    expect(await sentTo('delay@example.com')).toBe(0);
    const done = await at(created.body.nextRunAt, created.body.id, 1);
    expect([done.state, done.nextRunAt, done.contactList[0].tocontactid]).toEqual(['done', null, 'delay@example.com']);
    expect(await sentTo('delay@example.com')).toBe(1);
    const later = await schedule(svc, { configurationId: id, contactList: [contact('later@example.com')], runAt: new Date(clock.now() + 60_000).toISOString() });
    const listed = await svc.api('GET', '/api/v2/outbound/schedules?pageSize=2');
    expect(listed.body.entities.map((s: { id: string }) => s.id)).toEqual([later.body.id, created.body.id]);
    expect(listed.body.total).toBeGreaterThanOrEqual(2);
  });

  it('cancels: nothing is sent at the due time, and the schedule stays listed as cancelled', async () => {
    const id = await newConfiguration(svc);
    const created = await schedule(svc, { configurationId: id, contactList: [contact('cancelled@example.com')], delaySeconds: 60 });
    expect((await svc.api('DELETE', `/api/v2/outbound/schedules/${created.body.id}`)).status).toBe(204);
    const got = await svc.api('GET', `/api/v2/outbound/schedules/${created.body.id}`);
    expect([got.body.state, got.body.nextRunAt]).toEqual(['cancelled', null]);
    clock.advance(120_000);
    // The due time's job still runs (and finds the schedule cancelled): wait for it to be gone.
    const jobsOf = () => svc.running.services.batcher.run((trx) => trx.selectFrom('jobs').select('id').where('key', 'like', `${created.body.id}@%`).execute());
    await waitFor(async () => ((await jobsOf()).length === 0 ? true : undefined), 10_000, 'the cancelled due time to be handled');
    expect(await sentTo('cancelled@example.com')).toBe(0);
    expect((await svc.api('DELETE', '/api/v2/outbound/schedules/01a20000-0000-7000-8000-000000000000')).status).toBe(404);
  });

  // Helsinki changes its clocks at 03:00 and 04:00 local time (01:00 UTC): 02:30 exists once on
  // both days, 03:30 is missing in spring and happens twice in autumn.
  const helsinki = async (cron: string, to: string) => {
    const res = await schedule(svc, { configurationId: await newConfiguration(svc), contactList: [contact(to)], cron, timeZone: 'Europe/Helsinki' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { id: string; nextRunAt: string };
  };
  const jobsDue = (id: string) =>
    svc.running.services.batcher.run(async (trx) =>
      (await trx.selectFrom('jobs').select('run_at').where('key', 'like', `${id}@%`).execute()).map((j) => new Date(Number(j.run_at)).toISOString()),
    );
  const iso = (rows: Array<{ due_at: number | string }>) => rows.map((r) => new Date(Number(r.due_at)).toISOString());

  it('fires a daily schedule once on the day the clocks go back, even when its local time happens twice', async () => {
    clock.set(Date.parse('2026-10-24T12:00:00Z'));
    const twoThirty = await helsinki('30 2 * * *', 'autumn-0230@example.com');
    const threeThirty = await helsinki('30 3 * * *', 'autumn-0330@example.com');
    expect([twoThirty.nextRunAt, threeThirty.nextRunAt]).toEqual(['2026-10-24T23:30:00.000Z', '2026-10-25T00:30:00.000Z']);
    expect((await at('2026-10-24T23:30:00Z', twoThirty.id, 1)).nextRunAt).toBe('2026-10-26T00:30:00.000Z');
    // The first 03:30 (summer time) fires; the second (winter time, an hour later) does not.
    expect((await at('2026-10-25T00:30:00Z', threeThirty.id, 1)).nextRunAt).toBe('2026-10-26T01:30:00.000Z');
    clock.set(Date.parse('2026-10-25T01:30:00Z'));
    expect(await jobsDue(threeThirty.id)).toEqual(['2026-10-26T01:30:00.000Z']);
    await at('2026-10-26T00:30:00Z', twoThirty.id, 2);
    await at('2026-10-26T01:30:00Z', threeThirty.id, 2);
    expect(iso(await runsOf(twoThirty.id))).toEqual(['2026-10-24T23:30:00.000Z', '2026-10-26T00:30:00.000Z']);
    expect(iso(await runsOf(threeThirty.id))).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect([await sentTo('autumn-0230@example.com'), await sentTo('autumn-0330@example.com')]).toEqual([2, 2]);
  });

  it('fires a daily schedule once on the day the clocks go forward, a missing local time at the end of the gap', async () => {
    clock.set(Date.parse('2027-03-27T12:00:00Z'));
    await svc.newToken();
    const twoThirty = await helsinki('30 2 * * *', 'spring-0230@example.com');
    const threeThirty = await helsinki('30 3 * * *', 'spring-0330@example.com');
    // 02:30 EET; 03:30 does not exist that night, and croner fires at 04:00 EEST, when the gap ends.
    expect([twoThirty.nextRunAt, threeThirty.nextRunAt]).toEqual(['2027-03-28T00:30:00.000Z', '2027-03-28T01:00:00.000Z']);
    expect((await at('2027-03-28T00:30:00Z', twoThirty.id, 1)).nextRunAt).toBe('2027-03-28T23:30:00.000Z');
    expect((await at('2027-03-28T01:00:00Z', threeThirty.id, 1)).nextRunAt).toBe('2027-03-29T00:30:00.000Z');
    await at('2027-03-28T23:30:00Z', twoThirty.id, 2);
    await at('2027-03-29T00:30:00Z', threeThirty.id, 2);
    expect(iso(await runsOf(twoThirty.id))).toEqual(['2027-03-28T00:30:00.000Z', '2027-03-28T23:30:00.000Z']);
    expect(iso(await runsOf(threeThirty.id))).toEqual(['2027-03-28T01:00:00.000Z', '2027-03-29T00:30:00.000Z']);
    expect([await sentTo('spring-0230@example.com'), await sentTo('spring-0330@example.com')]).toEqual([2, 2]);
  });

  it('survives a restart on the same data: a due time missed while stopped is sent once after', async () => {
    const cron = await helsinki('0 12 * * *', 'restart-daily@example.com');
    const once = await schedule(svc, { configurationId: await newConfiguration(svc), contactList: [contact('restart-once@example.com')], delaySeconds: 600 });
    const config = svc.running.config;
    const orgId = svc.init.orgId;
    await svc.stop();
    // Nearly three days pass while stopped: the daily schedule's two missed due times make one run.
    clock.set(Date.parse(cron.nextRunAt) + 2 * 86_400_000 - 3_600_000);
    const second = await start(config, createLogger('silent'), { clock, pollMs: 50 });
    atEnd(() => second.stop());
    const ran = (id: string) => waitFor(async () => ((await second.services.schedules.get(orgId, id)).runs === 1 ? true : undefined), 10_000, `schedule ${id} after the restart`);
    await ran(once.body.id);
    await ran(cron.id);
    expect((await second.services.schedules.get(orgId, cron.id)).nextRunAt).toBe(new Date(Date.parse(cron.nextRunAt) + 2 * 86_400_000).toISOString());
    const count = (to: string) =>
      second.services.batcher.run(async (trx) =>
        Number(
          (
            await trx
              .selectFrom('messages')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('to_email', '=', to)
              .executeTakeFirstOrThrow()
          ).n,
        ),
      );
    expect([await count('restart-once@example.com'), await count('restart-daily@example.com')]).toEqual([1, 1]);
  });
});
