import type { JobKind } from '../jobs/runner.js';
import { SCHEDULE_JOB, type ScheduleJobPayload, type SchedulesService } from './schedules.service.js';

/** Runs a schedule's due time on the job runner: one job per (schedule, due time). */
export function scheduleJob(schedules: Pick<SchedulesService, 'fire' | 'gaveUp'>): JobKind {
  return {
    kind: SCHEDULE_JOB,
    concurrency: 2,
    run: (job) => schedules.fire(job.orgId!, job.payload as ScheduleJobPayload),
    gaveUp: (ex, job, err) => schedules.gaveUp(ex, job.orgId!, job.payload as ScheduleJobPayload, err),
  };
}
