import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { notFound } from '../errors.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import { PagingQuery } from './agents.routes.js';
import type { AgentsService } from './agents.service.js';

const MemberSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    user: z.object({ id: z.string(), name: z.string(), email: z.string(), selfUri: z.string() }),
    joined: z.boolean(),
    memberBy: z.literal('user'),
    dateJoined: z.string(),
  })
  .openapi('QueueMember');
const MemberListing = z
  .object({ entities: z.array(MemberSchema), pageSize: z.number(), pageNumber: z.number(), total: z.number(), pageCount: z.number(), selfUri: z.string() })
  .openapi('QueueMemberEntityListing');
const tags = ['Queues'];
const MANAGE = [PERMISSIONS.queueMemberManage, PERMISSIONS.queueEdit];
const VIEW = [PERMISSIONS.queueView, ...MANAGE];

const list = createRoute({
  method: 'get',
  path: '/api/v2/routing/queues/{queueId}/members',
  summary: "List a queue's members (the agents who may pull its work items)",
  tags,
  ...permit(VIEW),
  request: { params: z.object({ queueId: z.string() }), query: PagingQuery },
  responses: { 200: json(MemberListing, 'One page of members, by name.'), ...standardErrors },
});
// Genesys's shape: one POST adds (or, with ?delete=true, removes) up to 100 members.
const bulk = createRoute({
  method: 'post',
  path: '/api/v2/routing/queues/{queueId}/members',
  summary: 'Add or delete up to 100 queue members',
  description: 'Body: `[{"id": userId}, …]`. Adding a member twice is harmless.',
  tags,
  ...permit(MANAGE),
  request: {
    params: z.object({ queueId: z.string() }),
    query: z.object({ delete: z.enum(['true', 'false']).optional() }),
    body: jsonBody(
      z
        .array(z.object({ id: z.string().min(1) }))
        .min(1)
        .max(100),
    ),
  },
  responses: { 204: { description: 'Done.' }, ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/routing/queues/{queueId}/members/{memberId}',
  summary: 'Remove one member from a queue',
  tags,
  ...permit(MANAGE),
  request: { params: z.object({ queueId: z.string(), memberId: z.string() }) },
  responses: { 204: { description: 'Removed.' }, ...standardErrors },
});

export function membersRoutes(agents: AgentsService) {
  const r = newRouter();
  r.openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(await agents.listMembers(c.get('principal').orgId, c.req.valid('param').queueId, { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 }), 200);
  });
  r.openapi(bulk, async (c) => {
    const orgId = c.get('principal').orgId;
    const { queueId } = c.req.valid('param');
    const ids = c.req.valid('json').map((m) => m.id);
    if (c.req.valid('query').delete === 'true') await agents.removeMembers(orgId, queueId, ids);
    else await agents.addMembers(orgId, queueId, ids);
    return c.body(null, 204);
  });
  r.openapi(remove, async (c) => {
    const { queueId, memberId } = c.req.valid('param');
    const removed = await agents.removeMembers(c.get('principal').orgId, queueId, [memberId]);
    if (removed === 0) throw notFound(`Member ${memberId} of queue ${queueId}`);
    return c.body(null, 204);
  });
  return r;
}
