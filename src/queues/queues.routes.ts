import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { QueuesService } from './queues.service.js';

const QueueSchema = z.object({ id: z.string(), name: z.string(), dateCreated: z.string(), selfUri: z.string() }).openapi('Queue');
const tags = ['Queues'];
export const NewQueueBody = z.object({ name: z.string().min(1).max(200), description: z.string().optional() });
const EDIT = [PERMISSIONS.queueEdit];
const VIEW = [PERMISSIONS.queueView, ...EDIT];

const list = createRoute({
  method: 'get',
  path: '/api/v2/routing/queues',
  summary: 'List queues',
  tags,
  ...permit(VIEW),
  responses: { 200: json(z.object({ entities: z.array(QueueSchema) }), 'The queues.'), ...standardErrors },
});
const create = createRoute({
  method: 'post',
  path: '/api/v2/routing/queues',
  summary: 'Create a queue',
  tags,
  ...permit(EDIT),
  request: { body: jsonBody(NewQueueBody) },
  responses: { 200: json(QueueSchema, 'The queue.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/routing/queues/{queueId}',
  summary: 'Get a queue',
  tags,
  ...permit(VIEW),
  request: { params: z.object({ queueId: z.string() }) },
  responses: { 200: json(QueueSchema, 'The queue.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/routing/queues/{queueId}',
  summary: 'Delete a queue no route points to',
  tags,
  ...permit(EDIT),
  request: { params: z.object({ queueId: z.string() }) },
  responses: { 204: { description: 'Deleted.' }, ...standardErrors },
});

export function queuesRoutes(queues: QueuesService) {
  const r = newRouter();
  r.openapi(list, async (c) => c.json({ entities: await queues.list(c.get('principal').orgId) }, 200));
  r.openapi(create, async (c) => c.json(await queues.create(c.get('principal').orgId, c.req.valid('json').name), 200));
  r.openapi(get, async (c) => c.json(await queues.get(c.get('principal').orgId, c.req.valid('param').queueId), 200));
  r.openapi(remove, async (c) => {
    await queues.remove(c.get('principal').orgId, c.req.valid('param').queueId);
    return c.body(null, 204);
  });
  return r;
}
