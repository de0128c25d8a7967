import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { pageOf } from '../conversations/conversations.views.js';
import { BODY_LIMITS } from '../http/body-limit.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import { ContactSchema, MAX_CONTACTS } from '../outbound-config/contacts.js';
import type { SchedulesService } from './schedules.service.js';

const tags = ['Outbound schedules'];
export const SCHEDULE_EDIT = [PERMISSIONS.outboundScheduleEdit];
export const SCHEDULE_VIEW = [PERMISSIONS.outboundScheduleView, ...SCHEDULE_EDIT];
const PATH = '/api/v2/outbound/schedules';
const id = z.object({ scheduleId: z.string().max(100) });

export const ScheduleInputSchema = z
  .object({
    configurationId: z.string().max(100),
    contactList: z.array(ContactSchema).openapi({ description: `1 to ${MAX_CONTACTS} contacts, checked as an invocation's.` }),
    runAt: z.string().max(64).optional().openapi({ description: 'Once, at this ISO 8601 time with its offset.', example: '2027-03-28T09:00:00+03:00' }),
    delaySeconds: z.number().optional().openapi({ description: 'Once, this many seconds from now.' }),
    cron: z.string().max(200).optional().openapi({ description: 'Recurring: five cron fields (or @daily …), in timeZone.', example: '30 2 * * *' }),
    timeZone: z.string().max(100).optional().openapi({ description: 'With cron: an IANA time zone; default UTC.', example: 'Europe/Helsinki' }),
  })
  .strict()
  .openapi('OutboundScheduleInput');

const ScheduleSchema = z
  .object({
    id: z.string(),
    configurationId: z.string(),
    state: z.enum(['active', 'done', 'cancelled', 'failed']),
    cron: z.string().optional(),
    timeZone: z.string().optional(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().optional(),
    runs: z.number().openapi({ description: 'Due times handled so far.' }),
    lastError: z.string().optional(),
    contactCount: z.number(),
    contactList: z.array(ContactSchema).optional().openapi({ description: 'In the answer of GET by id.' }),
    dateCreated: z.string(),
    selfUri: z.string(),
  })
  .openapi('OutboundSchedule');

const create = createRoute({
  method: 'post',
  path: PATH,
  summary: 'Schedule an invocation: once, after a delay, or recurring',
  description: 'Exactly one of runAt, delaySeconds and cron. Each due time sends once, across restarts and instances.',
  tags,
  ...permit(SCHEDULE_EDIT, BODY_LIMITS.template),
  request: { body: jsonBody(ScheduleInputSchema) },
  responses: { 200: json(z.object({ id: z.string(), nextRunAt: z.string() }).openapi('OutboundScheduleCreated'), 'The schedule and its first due time.'), ...standardErrors },
});
const list = createRoute({
  method: 'get',
  path: PATH,
  summary: "The organization's schedules, newest first",
  tags,
  ...permit(SCHEDULE_VIEW),
  request: {
    query: z.object({
      pageSize: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most 100; default 25.' }),
      pageNumber: z.coerce.number().int().min(1).optional(),
    }),
  },
  responses: {
    200: json(
      z
        .object({ entities: z.array(ScheduleSchema) })
        .passthrough()
        .openapi('OutboundScheduleListing'),
      'One page of schedules.',
    ),
    ...standardErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: `${PATH}/{scheduleId}`,
  summary: 'Get a schedule',
  tags,
  ...permit(SCHEDULE_VIEW),
  request: { params: id },
  responses: { 200: json(ScheduleSchema, 'The schedule, with its contact list.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: `${PATH}/{scheduleId}`,
  summary: 'Cancel a schedule',
  tags,
  ...permit(SCHEDULE_EDIT),
  request: { params: id },
  responses: { 204: { description: 'Cancelled: nothing more is sent for it; it stays listed as cancelled.' }, ...standardErrors },
});

export function schedulesRoutes(schedules: SchedulesService) {
  const r = newRouter();
  r.openapi(create, async (c) => c.json(await schedules.create(c.get('principal').orgId, c.req.valid('json')), 200));
  r.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const paging = { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 };
    const { entities, total } = await schedules.list(c.get('principal').orgId, paging);
    return c.json(pageOf(entities, { total, ...paging, base: PATH }), 200);
  });
  r.openapi(get, async (c) => c.json(await schedules.get(c.get('principal').orgId, c.req.valid('param').scheduleId), 200));
  r.openapi(remove, async (c) => {
    await schedules.cancel(c.get('principal').orgId, c.req.valid('param').scheduleId);
    return c.body(null, 204);
  });
  return r;
}
