import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../agents/user-context.js';
import { hasAnyPermission, PERMISSIONS } from '../auth/permissions.js';
import { ErrorBodySchema, json, newRouter, permit, standardErrors } from '../http/router.js';
import { type AcdService, LEASE_SECONDS } from './acd.service.js';

const Any = z.record(z.string(), z.unknown());
const nullableString = z.string().nullable();
const WorkItemSchema = z
  .object({
    id: z.string(),
    queueId: z.string(),
    conversationId: z.string(),
    messageId: z.string().openapi({ description: 'The message that created the item.' }),
    priority: z.number(),
    state: z.enum(['waiting', 'leased', 'completed']),
    dateEnqueued: z.string(),
    offeredTo: nullableString.openapi({ description: 'Last-agent rule: the only agent who may pull the item until offerExpires.' }),
    offerExpires: nullableString,
    agentId: nullableString.openapi({ description: 'The agent holding the lease.' }),
    dateLeased: nullableString,
    leaseExpires: nullableString,
    leaseExpiries: z.number().openapi({ description: 'How many times a lease on this item ran out.' }),
    completedBy: nullableString,
    dateCompleted: nullableString,
    wrapupCode: nullableString,
    notes: nullableString,
    conversationUri: z.string(),
    selfUri: z.string(),
  })
  .openapi('WorkItem');
const PulledSchema = WorkItemSchema.extend({ conversation: Any, messages: z.array(Any), messagesTotal: z.number() }).openapi('PulledWorkItem');
const DetailSchema = WorkItemSchema.extend({
  history: z.array(z.object({ type: z.string(), agentId: nullableString, detail: nullableString, time: z.string() })),
}).openapi('WorkItemWithHistory');
const StatsSchema = z
  .object({
    queueId: z.string(),
    waiting: z.number(),
    offered: z.number().openapi({ description: 'Of the waiting items, those reserved for a last agent right now.' }),
    inProgress: z.number(),
    oldestWaitingSeconds: z.number().nullable(),
    completedToday: z.number().openapi({ description: 'Since 00:00 UTC.' }),
    leaseExpiriesToday: z.number(),
    leaseExpiriesTotal: z.number(),
    time: z.string(),
  })
  .openapi('QueueStats');

const leaseSeconds = z
  .number()
  .int()
  .min(LEASE_SECONDS.min)
  .max(LEASE_SECONDS.max)
  .optional()
  .openapi({ description: `Lease length; ${LEASE_SECONDS.default} s by default.` });
const LeaseBody = z.object({ leaseSeconds });
/** The bodies of transfer and complete, which the console's forms are checked against too. */
export const TransferBody = z.object({ queueId: z.string().min(1) });
export const CompleteBody = z.object({
  wrapupCode: z.string().trim().min(1).max(100).optional().openapi({ description: 'The id of a wrap-up code.' }),
  notes: z.string().max(4000).optional(),
});
const optionalBody = <T extends z.ZodType>(schema: T) => ({ required: false, content: { 'application/json': { schema } } });
const requiredBody = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const tags = ['ACD'];
const PULL = [PERMISSIONS.workItemPull];
const item = z.object({ workItemId: z.string() });
const lost = { 409: json(ErrorBodySchema, 'The caller does not hold a lease on the item (it expired, or it was completed or passed on).') };
const pulled = { 200: json(PulledSchema, 'The item, now leased to the caller, with its conversation and messages.'), 204: { description: 'Nothing is waiting for the caller.' } };

const pullQueue = createRoute({
  method: 'post',
  path: '/api/v2/acd/queues/{queueId}/pull',
  summary: 'Pull the next work item of a queue (agents who are members)',
  description:
    'An atomic claim with a lease: items reserved for the caller by the last-agent rule first, then by priority (higher first), then by age (oldest first). 204 when nothing is waiting.',
  tags,
  ...permit(PULL),
  request: { params: z.object({ queueId: z.string() }), body: optionalBody(LeaseBody) },
  responses: { ...pulled, ...standardErrors },
});
const pullAny = createRoute({
  method: 'post',
  path: '/api/v2/acd/pull',
  summary: "Pull the next work item from any of the caller's queues",
  tags,
  ...permit(PULL),
  request: { body: optionalBody(LeaseBody) },
  responses: { ...pulled, ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/acd/workitems/{workItemId}',
  summary: 'Get a work item with its history',
  description: 'Supervisors (acd:workitem:view) see every item of the organization; agents the items of their queues and the ones they hold.',
  tags,
  ...permit([PERMISSIONS.workItemView, ...PULL]),
  request: { params: item },
  responses: { 200: json(DetailSchema, 'The item.'), ...standardErrors },
});
// What every holder-only action shares; each route adds its own body so that its type is inferred.
const holder = (action: string, summary: string) => ({
  method: 'post' as const,
  path: `/api/v2/acd/workitems/{workItemId}/${action}`,
  summary,
  description: 'Only the agent holding the lease may do this.',
  tags,
  ...permit(PULL),
  responses: { 200: json(WorkItemSchema, 'The item after the change.'), ...standardErrors, ...lost },
});
const extend = createRoute({ ...holder('lease', 'Extend the lease: it now ends leaseSeconds from now'), request: { params: item, body: optionalBody(LeaseBody) } });
const decline = createRoute({ ...holder('decline', 'Decline: the item goes back to its queue, and not to the caller for a minute'), request: { params: item } });
const transfer = createRoute({
  ...holder('transfer', 'Transfer the item to another queue of the organization'),
  request: { params: item, body: requiredBody(TransferBody) },
});
const complete = createRoute({
  ...holder('complete', 'Complete the item with one of its queue’s wrap-up codes and notes'),
  description:
    'Only the agent holding the lease may do this. `wrapupCode` is the id of a wrap-up code: one the item’s queue offers (GET /api/v2/routing/queues/{queueId}/wrapupcodes), required when it offers any; in a queue that offers none it may be left out, and one given must be a code of the organization. Otherwise 400 naming wrapupCode.',
  request: {
    params: item,
    body: requiredBody(CompleteBody),
  },
});
const stats = createRoute({
  method: 'get',
  path: '/api/v2/routing/queues/{queueId}/stats',
  summary: "A queue's work right now: waiting, in progress, oldest wait, completed today, lease expiries",
  tags: ['Queues'],
  ...permit([PERMISSIONS.queueView, PERMISSIONS.queueStatsView]),
  request: { params: z.object({ queueId: z.string() }) },
  responses: { 200: json(StatsSchema, 'The statistics.'), ...standardErrors },
});

export function acdRoutes(acd: AcdService) {
  const r = newRouter();
  r.openapi(pullQueue, async (c) => {
    const u = requireUser(c);
    const got = await acd.pull(u.orgId, u.userId, c.req.valid('param').queueId, c.req.valid('json').leaseSeconds);
    return got ? c.json(got, 200) : c.body(null, 204);
  });
  r.openapi(pullAny, async (c) => {
    const u = requireUser(c);
    const got = await acd.pull(u.orgId, u.userId, null, c.req.valid('json').leaseSeconds);
    return got ? c.json(got, 200) : c.body(null, 204);
  });
  r.openapi(get, async (c) => {
    const p = c.get('principal');
    const supervisor = hasAnyPermission(p.permissions, [PERMISSIONS.workItemView]);
    return c.json(await acd.get(p.orgId, c.req.valid('param').workItemId, { userId: p.userId, supervisor }), 200);
  });
  r.openapi(extend, async (c) => {
    const u = requireUser(c);
    return c.json(await acd.extend(u.orgId, u.userId, c.req.valid('param').workItemId, c.req.valid('json').leaseSeconds), 200);
  });
  r.openapi(decline, async (c) => {
    const u = requireUser(c);
    return c.json(await acd.decline(u.orgId, u.userId, c.req.valid('param').workItemId), 200);
  });
  r.openapi(transfer, async (c) => {
    const u = requireUser(c);
    return c.json(await acd.transfer(u.orgId, u.userId, c.req.valid('param').workItemId, c.req.valid('json').queueId), 200);
  });
  r.openapi(complete, async (c) => {
    const u = requireUser(c);
    return c.json(await acd.complete(u.orgId, u.userId, c.req.valid('param').workItemId, c.req.valid('json')), 200);
  });
  r.openapi(stats, async (c) => c.json(await acd.stats(c.get('principal').orgId, c.req.valid('param').queueId), 200));
  return r;
}
