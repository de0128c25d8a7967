import { createRoute, z } from '@hono/zod-openapi';
import { PERMISSIONS } from '../auth/permissions.js';
import { pageOf } from '../conversations/conversations.views.js';
import { json, newRouter, permit, standardErrors } from '../http/router.js';
import type { SuppressionService } from './suppression.service.js';

const tags = ['Suppressions'];
export const SUPPRESSION_EDIT = [PERMISSIONS.suppressionEdit];
export const SUPPRESSION_VIEW = [PERMISSIONS.suppressionView, ...SUPPRESSION_EDIT];
const SuppressionSchema = z
  .object({
    email: z.string(),
    reason: z.enum(['hard-bounce', 'complaint', 'soft-bounce', 'manual']),
    detail: z.string().optional(),
    messageId: z.string().optional().openapi({ description: 'The message whose bounce or complaint added the address.' }),
    dateCreated: z.string(),
    dateExpires: z.string().optional().openapi({ description: 'Entries from repeated soft bounces expire; the others last until removed.' }),
    selfUri: z.string(),
  })
  .openapi('Suppression');
export const SuppressionParams = z.object({ email: z.string().max(320) });
export const SuppressBody = z.object({ reason: z.string().max(500).optional() });
const params = SuppressionParams;

const list = createRoute({
  method: 'get',
  path: '/api/v2/suppressions',
  summary: "The organization's suppression list, newest first",
  description:
    'Addresses threadline will not mail: hard bounces, complaints, repeated soft bounces (for a while) and entries an administrator added. `email` finds the entries whose address contains it.',
  tags,
  ...permit(SUPPRESSION_VIEW),
  request: {
    query: z.object({
      email: z.string().max(320).optional(),
      pageSize: z.coerce.number().int().min(1).max(100).optional().openapi({ description: 'At most 100; default 25.' }),
      pageNumber: z.coerce.number().int().min(1).optional(),
    }),
  },
  responses: {
    200: json(
      z
        .object({ entities: z.array(SuppressionSchema) })
        .passthrough()
        .openapi('SuppressionListing'),
      'One page of entries.',
    ),
    ...standardErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/v2/suppressions/{email}',
  summary: "An address's entry",
  tags,
  ...permit(SUPPRESSION_VIEW),
  request: { params },
  responses: { 200: json(SuppressionSchema, 'The entry.'), ...standardErrors },
});
const put = createRoute({
  method: 'put',
  path: '/api/v2/suppressions/{email}',
  summary: 'Suppress an address',
  description: 'Until removed; replaces any entry the address had.',
  tags,
  ...permit(SUPPRESSION_EDIT),
  request: { params, body: { required: false, content: { 'application/json': { schema: SuppressBody } } } },
  responses: { 200: json(SuppressionSchema, 'The entry.'), ...standardErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v2/suppressions/{email}',
  summary: 'Mail an address again',
  tags,
  ...permit(SUPPRESSION_EDIT),
  request: { params },
  responses: { 204: { description: 'Removed.' }, ...standardErrors },
});

export function suppressionRoutes(suppressions: SuppressionService) {
  const r = newRouter();
  r.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const paging = { pageSize: q.pageSize ?? 25, pageNumber: q.pageNumber ?? 1 };
    const { entities, total } = await suppressions.list(c.get('principal').orgId, { ...(q.email ? { email: q.email } : {}), ...paging });
    const query = new URLSearchParams(q.email ? { email: q.email } : {});
    return c.json(pageOf(entities, { total, ...paging, base: '/api/v2/suppressions', query }), 200);
  });
  r.openapi(get, async (c) => c.json(await suppressions.get(c.get('principal').orgId, c.req.valid('param').email), 200));
  r.openapi(put, async (c) => c.json(await suppressions.put(c.get('principal').orgId, c.req.valid('param').email, c.req.valid('json')?.reason ?? null), 200));
  r.openapi(remove, async (c) => {
    await suppressions.remove(c.get('principal').orgId, c.req.valid('param').email);
    return c.body(null, 204);
  });
  return r;
}
