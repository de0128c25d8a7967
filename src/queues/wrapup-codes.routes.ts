import { createRoute, z } from '@hono/zod-openapi';
import { PagingQuery, paging } from '../agents/agents.routes.js';
import { PERMISSIONS } from '../auth/permissions.js';
import { ErrorBodySchema, json, jsonBody, newRouter, permit, standardErrors } from '../http/router.js';
import type { WrapupCodesService } from './wrapup-codes.service.js';

export const WrapupCodeName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');
const WrapupCodeSchema = z.object({ id: z.string(), name: z.string(), dateCreated: z.string(), dateModified: z.string(), selfUri: z.string() }).openapi('WrapupCode');
const ListingSchema = z
  .object({ entities: z.array(WrapupCodeSchema), pageSize: z.number(), pageNumber: z.number(), total: z.number(), pageCount: z.number(), selfUri: z.string() })
  .openapi('WrapupCodeEntityListing');
const tags = ['Wrap-up codes'];
export const WRAPUP_EDIT = [PERMISSIONS.wrapupCodeEdit];
export const WRAPUP_VIEW = [PERMISSIONS.wrapupCodeView, ...WRAPUP_EDIT];
const code = z.object({ codeId: z.string() });
const queue = z.object({ queueId: z.string() });

const list = createRoute({
  method: 'get',
  path: '/api/v2/routing/wrapupcodes',
  summary: "List the organization's wrap-up codes, by name",
  tags,
  ...permit(WRAPUP_VIEW),
  request: { query: PagingQuery },
  responses: { 200: json(ListingSchema, 'A page of wrap-up codes.'), ...standardErrors },
});
const create = createRoute({
  method: 'post',
  path: '/api/v2/routing/wrapupcodes',
  summary: 'Create a wrap-up code',
  tags,
  ...permit(WRAPUP_EDIT),
  request: { body: jsonBody(z.object({ name: WrapupCodeName })) },
  responses: { 200: json(WrapupCodeSchema, 'The wrap-up code.'), 409: json(ErrorBodySchema, 'A wrap-up code with this name exists.'), ...standardErrors },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/routing/wrapupcodes/{codeId}',
  summary: 'Get a wrap-up code',
  tags,
  ...permit(WRAPUP_VIEW),
  request: { params: code },
  responses: { 200: json(WrapupCodeSchema, 'The wrap-up code.'), ...standardErrors },
});
const update = createRoute({
  method: 'put',
  path: '/api/v2/routing/wrapupcodes/{codeId}',
  summary: 'Rename a wrap-up code',
  tags,
  ...permit(WRAPUP_EDIT),
  request: { params: code, body: jsonBody(z.object({ name: WrapupCodeName })) },
  responses: { 200: json(WrapupCodeSchema, 'The wrap-up code.'), 409: json(ErrorBodySchema, 'Another wrap-up code has this name.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/routing/wrapupcodes/{codeId}',
  summary: "Delete a wrap-up code; it leaves every queue's list (completed items keep its id)",
  tags,
  ...permit(WRAPUP_EDIT),
  request: { params: code },
  responses: { 204: { description: 'Deleted.' }, ...standardErrors },
});
const listForQueue = createRoute({
  method: 'get',
  path: '/api/v2/routing/queues/{queueId}/wrapupcodes',
  summary: 'The wrap-up codes a queue offers',
  description: 'An item of a queue that offers codes is completed with one of them; in a queue that offers none, a code is optional.',
  tags,
  ...permit([PERMISSIONS.queueView, PERMISSIONS.queueEdit, ...WRAPUP_VIEW]),
  request: { params: queue },
  responses: { 200: json(ListingSchema, 'All of them, by name.'), ...standardErrors },
});
const addToQueue = createRoute({
  method: 'post',
  path: '/api/v2/routing/queues/{queueId}/wrapupcodes',
  summary: "Add wrap-up codes to a queue's list",
  tags,
  ...permit([PERMISSIONS.queueEdit]),
  request: {
    params: queue,
    body: jsonBody(
      z
        .array(z.object({ id: z.string().min(1) }))
        .min(1)
        .max(100),
    ),
  },
  responses: { 200: json(z.array(WrapupCodeSchema), 'The codes added.'), ...standardErrors },
});
const removeFromQueue = createRoute({
  method: 'delete',
  path: '/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}',
  summary: "Take a wrap-up code off a queue's list",
  tags,
  ...permit([PERMISSIONS.queueEdit]),
  request: { params: queue.extend(code.shape) },
  responses: { 204: { description: 'Removed.' }, ...standardErrors },
});

export function wrapupCodesRoutes(codes: WrapupCodesService) {
  const r = newRouter();
  const org = (c: { get(k: 'principal'): { orgId: string } }) => c.get('principal').orgId;
  r.openapi(list, async (c) => c.json(await codes.list(org(c), paging(c.req.valid('query'))), 200));
  r.openapi(create, async (c) => c.json(await codes.create(org(c), c.req.valid('json').name), 200));
  r.openapi(get, async (c) => c.json(await codes.get(org(c), c.req.valid('param').codeId), 200));
  r.openapi(update, async (c) => c.json(await codes.rename(org(c), c.req.valid('param').codeId, c.req.valid('json').name), 200));
  r.openapi(remove, async (c) => {
    await codes.remove(org(c), c.req.valid('param').codeId);
    return c.body(null, 204);
  });
  r.openapi(listForQueue, async (c) => c.json(await codes.listForQueue(org(c), c.req.valid('param').queueId), 200));
  r.openapi(addToQueue, async (c) =>
    c.json(
      await codes.addToQueue(
        org(c),
        c.req.valid('param').queueId,
        c.req.valid('json').map((x) => x.id),
      ),
      200,
    ),
  );
  r.openapi(removeFromQueue, async (c) => {
    const p = c.req.valid('param');
    await codes.removeFromQueue(org(c), p.queueId, p.codeId);
    return c.body(null, 204);
  });
  return r;
}
