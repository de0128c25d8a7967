import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Clock, manualClock, systemClock } from '../../src/clock.js';
import { TxBatcher } from '../../src/db/batcher.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import type { Db } from '../../src/db/schema.js';
import { exponentialBackoff } from '../../src/jobs/backoff.js';
import { createJobQueue } from '../../src/jobs/queue.js';
import { type JobKind, JobRunner } from '../../src/jobs/runner.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { atEnd } from '../helpers/cleanup.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/service.js';

// The job runner on a real database: a SQLite file here, a PostgreSQL database in the
// integration-pg project. Most tests drive the runner's polls by hand (pass()) and move a
// manual clock, so what is due is decided by the test, not by timing.

async function database() {
  const url = (await testDatabaseUrl()) ?? `sqlite://${path.join(tempDir(), 'jobs.db')}`;
  const open = () => {
    const o = openDatabase(url);
    atEnd(() => o.close());
    return o;
  };
  const first = open();
  await migrateToLatest(first.db);
  return { db: first.db, skipLocked: first.dialect === 'postgres', open: () => open().db };
}

type Base = Awaited<ReturnType<typeof database>>;

function runnerOn(base: Base, db: Db, clock: Clock, kinds: JobKind[], o: { pollMs?: number; lines?: string[]; reach?: () => boolean } = {}) {
  const log = createLogger('info', { write: (line: string) => void o.lines?.push(line) });
  const metrics = createMetrics({ outboxDepth: async () => 0 });
  const batcher = new TxBatcher(db);
  // `reach`: false while the database is to look unreachable, as a refused connection does.
  const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  const seen: Pick<TxBatcher, 'run' | 'runSoon'> = {
    run: (work) => (o.reach?.() === false ? refused() : batcher.run(work)),
    runSoon: (work) => (o.reach?.() === false ? refused() : batcher.runSoon(work)),
  };
  const runner = new JobRunner({ batcher: seen, clock, log, metrics, skipLocked: base.skipLocked, pollMs: o.pollMs ?? 60_000 });
  for (const k of kinds) runner.register(k);
  atEnd(() => runner.stop());
  return { runner, metrics, batcher };
}

const rows = (db: Db, kind: string) => db.selectFrom('jobs').selectAll().where('kind', '=', kind).execute();

/** A promise with its resolve, for a job that runs until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('the job runner', () => {
  it('runs a one-off job once, when the service clock says it is due, with its payload', async () => {
    const base = await database();
    const clock = manualClock();
    const ran: unknown[] = [];
    const { runner, batcher } = runnerOn(base, base.db, clock, [{ kind: 'test.once', run: async (job) => void ran.push(job.payload) }]);
    const queue = createJobQueue(clock);
    await batcher.run((trx) => queue.enqueue(trx, { kind: 'test.once', orgId: 'org-1', runAt: clock.now() + 5_000, payload: { to: 'https://hooks.example.com/a' } }));

    await runner.pass();
    expect(ran).toEqual([]);
    clock.advance(5_000);
    await runner.pass();
    await waitFor(async () => ((await rows(base.db, 'test.once')).length === 0 ? true : undefined), 5_000, 'the finished job removed');
    expect(ran).toEqual([{ to: 'https://hooks.example.com/a' }]);
    await runner.pass();
    expect(ran).toHaveLength(1);
  });

  it('adds a keyed job once per kind', async () => {
    const base = await database();
    const queue = createJobQueue(manualClock());
    const batcher = new TxBatcher(base.db);
    expect(await batcher.run((trx) => queue.enqueue(trx, { kind: 'test.keyed', key: 'domain-1' }))).toBe(true);
    expect(await batcher.run((trx) => queue.enqueue(trx, { kind: 'test.keyed', key: 'domain-1' }))).toBe(false);
    expect(await batcher.run((trx) => queue.enqueue(trx, { kind: 'test.keyed', key: 'domain-2' }))).toBe(true);
    expect(await rows(base.db, 'test.keyed')).toHaveLength(2);
  });

  it('retries a failing job with backoff, counting attempts and keeping the error, and gives up after the limit', async () => {
    const base = await database();
    const clock = manualClock();
    const gaveUp: string[] = [];
    let runs = 0;
    const { runner, batcher, metrics } = runnerOn(base, base.db, clock, [
      {
        kind: 'test.failing',
        backoff: exponentialBackoff({ baseMs: 1_000, limit: 3, jitter: 0 }),
        run: async () => {
          runs++;
          throw new Error(`receiver said no (${runs})`);
        },
        gaveUp: async (_ex, job, err) => void gaveUp.push(`${job.id}: ${(err as Error).message}`),
      },
    ]);
    await batcher.run((trx) => createJobQueue(clock).enqueue(trx, { kind: 'test.failing' }));
    const afterAttempts = async (attempts: number) =>
      waitFor(async () => ((await rows(base.db, 'test.failing'))[0]?.attempts === attempts ? (await rows(base.db, 'test.failing'))[0] : undefined), 5_000, `${attempts} attempts`);

    await runner.pass();
    const first = await afterAttempts(1);
    expect(first).toMatchObject({ run_at: clock.now() + 1_000, last_error: 'receiver said no (1)', claimed_by: null });
    clock.advance(999);
    await runner.pass();
    expect(runs).toBe(1);
    clock.advance(1);
    await runner.pass();
    expect(await afterAttempts(2)).toMatchObject({ run_at: clock.now() + 2_000, last_error: 'receiver said no (2)' });
    clock.advance(2_000);
    await runner.pass();
    await waitFor(async () => ((await rows(base.db, 'test.failing')).length === 0 ? true : undefined), 5_000, 'the job given up');
    expect(runs).toBe(3);
    expect(gaveUp).toEqual([`${first.id}: receiver said no (3)`]);
    const counted = await metrics.registry.getSingleMetricAsString('threadline_jobs_total');
    expect(counted).toMatch(/kind="test.failing",outcome="failed"} 2/);
    expect(counted).toMatch(/kind="test.failing",outcome="gave_up"} 1/);
  });

  it('keeps one row for a recurring job and runs it again a period after each run started', async () => {
    const base = await database();
    const clock = manualClock();
    let runs = 0;
    const { runner } = runnerOn(base, base.db, clock, [{ kind: 'test.every', everyMs: 60_000, run: async () => void runs++ }]);
    await runner.pass();
    expect(await rows(base.db, 'test.every')).toMatchObject([{ key: 'test.every', run_at: clock.now() + 60_000 }]);
    expect(runs).toBe(0);
    for (let i = 1; i <= 3; i++) {
      clock.advance(60_000);
      const started = clock.now();
      await runner.pass();
      await waitFor(async () => ((await rows(base.db, 'test.every'))[0]!.run_at === started + 60_000 ? true : undefined), 5_000, `run ${i} rescheduled`);
      expect(runs).toBe(i);
    }
    // A second runner (another instance, or a restart) adds no second row.
    const other = runnerOn(base, base.open(), clock, [{ kind: 'test.every', everyMs: 60_000, run: async () => void runs++ }]);
    await other.runner.pass();
    expect(await rows(base.db, 'test.every')).toHaveLength(1);
  });

  it('renews the claim of a running job; a job whose runner died is claimed again once its claim runs out', async () => {
    const base = await database();
    const clock = manualClock();
    const held = gate();
    const ranBy: string[] = [];
    const kind = (name: string, wait: Promise<void>): JobKind => ({
      kind: 'test.slow',
      leaseMs: 3_000,
      run: async () => {
        ranBy.push(name);
        await wait;
      },
    });
    const a = runnerOn(base, base.db, clock, [kind('a', held.opened)]);
    const b = runnerOn(base, base.open(), clock, [kind('b', Promise.resolve())]);
    await a.batcher.run((trx) => createJobQueue(clock).enqueue(trx, { kind: 'test.slow' }));

    await a.runner.pass();
    expect(ranBy).toEqual(['a']);
    clock.advance(2_000);
    await a.runner.pass(); // renews until now + 3 s
    clock.advance(2_000); // past the first claim, inside the renewed one
    await b.runner.pass();
    expect(ranBy).toEqual(['a']);

    // `a` stops polling (its process hung or died): its claim runs out and `b` takes the job.
    clock.advance(1_001);
    await b.runner.pass();
    await waitFor(async () => ((await rows(base.db, 'test.slow')).length === 0 ? true : undefined), 5_000, 'the job done by b');
    expect(ranBy).toEqual(['a', 'b']);
    held.open();
  });

  it('stop() waits for the jobs running and their writes', async () => {
    const base = await database();
    const clock = manualClock();
    const held = gate();
    let started = false;
    const { runner, batcher } = runnerOn(base, base.db, clock, [
      {
        kind: 'test.held',
        run: async () => {
          started = true;
          await held.opened;
        },
      },
    ]);
    await batcher.run((trx) => createJobQueue(clock).enqueue(trx, { kind: 'test.held' }));
    runner.start();
    await waitFor(() => (started ? true : undefined), 5_000, 'the job started');
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    // Stopping is waiting for the job: several turns of the event loop change nothing.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    held.open();
    await stopping;
    expect(await rows(base.db, 'test.held')).toEqual([]);
  });

  it('two runners on one database never run the same job at once, and run each one-off job once', async () => {
    const base = await database();
    const running = new Map<string, number>();
    const oneOffRuns = new Map<string, number>();
    let overlaps = 0;
    let recurringRuns = 0;
    // Each run spans a few turns of the event loop and a timer, so that the other runner's
    // polls come while it runs.
    const body = async (id: string) => {
      running.set(id, (running.get(id) ?? 0) + 1);
      if (running.get(id)! > 1) overlaps++;
      await new Promise((r) => setTimeout(r, 2));
      running.set(id, running.get(id)! - 1);
    };
    const id = (job: { payload: unknown }) => String((job.payload as { i: number }).i);
    const kinds = (): JobKind[] => [
      {
        kind: 'test.many',
        concurrency: 4,
        run: async (job) => {
          oneOffRuns.set(id(job), (oneOffRuns.get(id(job)) ?? 0) + 1);
          await body(job.id);
        },
      },
      {
        kind: 'test.always',
        everyMs: 0,
        run: async (job) => {
          recurringRuns++;
          await body(job.id);
        },
      },
    ];
    const a = runnerOn(base, base.db, systemClock, kinds(), { pollMs: 5 });
    const b = runnerOn(base, base.open(), systemClock, kinds(), { pollMs: 5 });
    const queue = createJobQueue(systemClock);
    await a.batcher.run(async (trx) => {
      for (let i = 0; i < 60; i++) await queue.enqueue(trx, { kind: 'test.many', payload: { i } });
    });
    a.runner.start();
    b.runner.start();
    await waitFor(async () => ((await rows(base.db, 'test.many')).length === 0 && recurringRuns >= 20 ? true : undefined), 30_000, 'every job run');
    await Promise.all([a.runner.stop(), b.runner.stop()]);
    expect(overlaps).toBe(0);
    expect(oneOffRuns.size).toBe(60);
    expect([...oneOffRuns.values()].every((n) => n === 1)).toBe(true);
  });

  it('keeps going through a database outage: logs it once, and writes the end of a job that finished meanwhile once the database answers', async () => {
    const base = await database();
    const clock = manualClock();
    const held = gate();
    const lines: string[] = [];
    let reachable = true;
    let runs = 0;
    const { runner, batcher, metrics } = runnerOn(
      base,
      base.db,
      clock,
      [
        {
          kind: 'test.outage',
          run: async () => {
            runs++;
            await held.opened;
          },
        },
      ],
      { lines, reach: () => reachable },
    );
    await batcher.run((trx) => createJobQueue(clock).enqueue(trx, { kind: 'test.outage' }));
    await runner.pass();
    expect(runs).toBe(1);

    reachable = false;
    for (let i = 0; i < 3; i++) await runner.pass();
    held.open(); // the job ends while its end cannot be written
    const ended = async () => /outcome="done"} 1/.test(await metrics.registry.getSingleMetricAsString('threadline_jobs_total'));
    await waitFor(async () => ((await ended()) ? true : undefined), 5_000, 'the job ended');
    for (let i = 0; i < 3; i++) await runner.pass();
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged).toEqual([expect.objectContaining({ level: 40, msg: 'running jobs paused: database unreachable' })]);

    reachable = true;
    clock.advance(60_000); // past the job's claim: only the end written first keeps it from running again
    await runner.pass();
    expect(await rows(base.db, 'test.outage')).toEqual([]);
    expect(runs).toBe(1);
  });
});
