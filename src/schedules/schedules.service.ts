import type { Clock } from '../clock.js';
import type { TxBatcher } from '../db/batcher.js';
import type { Executor, OutboundSchedulesTable } from '../db/schema.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { JobQueue } from '../jobs/queue.js';
import type { ConfigurationsService } from '../outbound-config/configurations.service.js';
import { type Contact, checkContactList, optedIn } from '../outbound-config/contacts.js';
import type { InvokeService } from '../outbound-config/invoke.service.js';
import type { OutboundService } from '../send/outbound.js';
import * as repo from './schedules.repo.js';
import { firstDue, nextDue, type Timing } from './when.js';

export const SCHEDULE_JOB = 'outbound.schedule';

export interface ScheduleInput extends Timing {
  configurationId: string;
  contactList: Contact[];
}

export interface ScheduleView {
  id: string;
  configurationId: string;
  state: 'active' | 'done' | 'cancelled' | 'failed';
  cron?: string;
  timeZone?: string;
  nextRunAt: string | null;
  lastRunAt?: string;
  runs: number;
  lastError?: string;
  contactCount: number;
  contactList?: Contact[];
  dateCreated: string;
  selfUri: string;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export function scheduleView(r: OutboundSchedulesTable, withContacts = false): ScheduleView {
  const contacts = JSON.parse(r.contact_list) as Contact[];
  return {
    id: r.id,
    configurationId: r.configuration_id,
    state: r.state as ScheduleView['state'],
    ...(r.cron ? { cron: r.cron, timeZone: r.time_zone ?? 'UTC' } : {}),
    nextRunAt: r.next_run_at === null ? null : iso(r.next_run_at),
    ...(r.last_run_at === null ? {} : { lastRunAt: iso(r.last_run_at) }),
    runs: Number(r.runs),
    ...(r.last_error ? { lastError: r.last_error } : {}),
    contactCount: contacts.length,
    ...(withContacts ? { contactList: contacts } : {}),
    dateCreated: iso(r.created_at),
    selfUri: `/api/v2/outbound/schedules/${r.id}`,
  };
}

/** What a schedule job carries: the schedule and the due time it runs. */
export interface ScheduleJobPayload {
  scheduleId: string;
  dueAt: number;
}

/** The schedule if it is still waiting for due time `dueAt` (not cancelled, not run). */
const waiting = (s: OutboundSchedulesTable | undefined, dueAt: number) => (s?.state === 'active' && Number(s.next_run_at) === dueAt ? s : null);

export type SchedulesService = ReturnType<typeof createSchedulesService>;

export function createSchedulesService(deps: {
  db: Executor;
  batcher: Pick<TxBatcher, 'run'>;
  clock: Clock;
  outbound: Pick<OutboundService, 'send'>;
  invoke: Pick<InvokeService, 'invokeIn'>;
  configurations: Pick<ConfigurationsService, 'get'>;
  jobs: JobQueue;
}) {
  const { db, clock } = deps;

  /** The job that runs due time `dueAt`, added in the transaction that made it due. */
  const enqueueRun = (trx: Executor, orgId: string, scheduleId: string, dueAt: number) =>
    deps.jobs.enqueue(trx, { kind: SCHEDULE_JOB, key: `${scheduleId}@${dueAt}`, orgId, runAt: dueAt, payload: { scheduleId, dueAt } satisfies ScheduleJobPayload });

  async function row(orgId: string, id: string) {
    const r = await repo.findSchedule(db, orgId, id);
    if (!r) throw notFound(`Outbound schedule ${id}`);
    return r;
  }

  return {
    async create(orgId: string, input: ScheduleInput): Promise<{ id: string; nextRunAt: string }> {
      checkContactList(input.contactList, input.configurationId);
      // What would fail at every run is refused now.
      for (const [i, c] of input.contactList.entries()) optedIn(c, `contactList[${i}]`);
      const now = clock.now();
      const first = firstDue(input, now);
      try {
        await deps.configurations.get(orgId, input.configurationId);
      } catch (err) {
        if (err instanceof AppError && err.status === 404)
          throw badRequest('configurationId', `configurationId: configuration ${input.configurationId} does not exist in this organization.`, 'reference.not.found');
        throw err;
      }
      const id = newId(now);
      await deps.batcher.run(async (trx) => {
        await repo.insertSchedule(trx, {
          id,
          org_id: orgId,
          configuration_id: input.configurationId,
          contact_list: JSON.stringify(input.contactList),
          cron: first.cron,
          time_zone: first.timeZone,
          state: 'active',
          next_run_at: first.dueAt,
          last_run_at: null,
          runs: 0,
          last_error: null,
          created_at: now,
          updated_at: now,
        });
        await enqueueRun(trx, orgId, id, first.dueAt);
      });
      deps.jobs.wake();
      return { id, nextRunAt: iso(first.dueAt) };
    },

    async list(orgId: string, paging: { pageSize: number; pageNumber: number }) {
      const [rows, total] = await Promise.all([repo.listSchedules(db, orgId, paging.pageSize, (paging.pageNumber - 1) * paging.pageSize), repo.countSchedules(db, orgId)]);
      return { entities: rows.map((r) => scheduleView(r)), total };
    },

    get: async (orgId: string, id: string) => scheduleView(await row(orgId, id), true),

    /** Cancels a schedule: nothing more is sent for it (a due time already running finishes or is refused as a whole). */
    async cancel(orgId: string, id: string): Promise<void> {
      await row(orgId, id);
      await repo.cancel(db, orgId, id, clock.now());
    },

    /**
     * Runs due time `dueAt` in ONE transaction: the schedule moved on to its next due time, the
     * invocation's messages, the run's key (schedule, due time) and the next run's job. A due
     * time already taken (another instance, a cancel) sends nothing. After downtime that missed
     * several due times, one run covers them and the next is the first one still ahead.
     */
    async fire(orgId: string, p: ScheduleJobPayload): Promise<void> {
      const s = waiting(await repo.findSchedule(db, orgId, p.scheduleId), p.dueAt);
      if (!s) return;
      const contacts = JSON.parse(s.contact_list) as Contact[];
      await deps.outbound.send(orgId, async (trx, submit) => {
        const now = clock.now();
        const next = s.cron ? nextDue(s.cron, s.time_zone ?? 'UTC', Math.max(p.dueAt, now)) : null;
        if (!(await repo.advance(trx, s.id, p.dueAt, next, now))) return;
        const results = await deps.invoke.invokeIn(trx, submit, orgId, s.configuration_id, contacts);
        const queued = results.filter((r) => r.status === 'queued').length;
        await repo.insertRun(trx, { schedule_id: s.id, due_at: p.dueAt, org_id: orgId, queued, skipped: results.length - queued, ran_at: now });
        if (next !== null) await enqueueRun(trx, orgId, s.id, next);
      });
      deps.jobs.wake();
    },

    /** A due time that kept failing: a one-off schedule ends as failed, a recurring one goes on to its next due time. */
    async gaveUp(trx: Executor, orgId: string, p: ScheduleJobPayload, err: unknown): Promise<void> {
      const s = waiting(await repo.findSchedule(trx, orgId, p.scheduleId), p.dueAt);
      if (!s) return;
      const error = err instanceof AppError && err.status < 500 ? err.message : 'internal error';
      const now = clock.now();
      if (!s.cron) {
        await repo.fail(trx, s.id, p.dueAt, error, now);
        return;
      }
      const next = nextDue(s.cron, s.time_zone ?? 'UTC', Math.max(p.dueAt, now));
      if ((await repo.advance(trx, s.id, p.dueAt, next, now, error)) && next !== null) await enqueueRun(trx, orgId, s.id, next);
    },
  };
}
